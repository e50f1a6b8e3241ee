// The VMSA: an SEV-ES/SNP vCPU's saved state, 4 KiB (Linux struct
// sev_es_save_area; SPEC-FACTS.md 6). Built for the first vCPU of an IGVM
// image and for each AP Warden starts (64-bit, on given page tables), and for
// the vCPUs of a guest firmware started in the x86 reset state.
#pragma once

#include <array>

#include "warden/types.hpp"

namespace warden::sev {

inline constexpr size_t kVmsaSize = 4096;
inline constexpr uint64_t kSevFeatureSnpActive = 1;  // SEV_FEATURES bit 0
inline constexpr uint64_t kEferSvme = 1u << 12;      // required in an SEV-ES/SNP VMSA

inline constexpr uint64_t kEferLme = 1u << 8, kEferLma = 1u << 10, kEferNxe = 1u << 11;
inline constexpr uint64_t kCr0Pe = 1, kCr0Et = 1u << 4, kCr0Ne = 1u << 5, kCr0Wp = 1u << 16, kCr0Pg = 1u << 31;
inline constexpr uint64_t kCr4Pae = 1u << 5;

struct LongModeState {
    uint64_t rip = 0, rsp = 0, rdi = 0, rbx = 0;
    uint64_t cr0 = kCr0Pe | kCr0Et | kCr0Ne | kCr0Wp | kCr0Pg;
    uint64_t cr3 = 0;
    uint64_t cr4 = kCr4Pae;
    uint64_t efer = kEferLme | kEferLma | kEferNxe;  // SVME is always added
    uint64_t sev_features = kSevFeatureSnpActive;
    uint8_t vmpl = 0;
    uint16_t x87_fcw = 0;  // x87 control word and MXCSR; 0 as before unless the
    uint32_t mxcsr = 0;    // caller asks (FNINIT leaves 0x37f and 0x1f80)
};

// A VMSA that starts in 64-bit mode at rip (CS 0x08 long-mode code, data
// selectors 0x10, as in the kernel's GDT), paging on with cr3; GDTR and
// IDTR empty until the entry code loads its own.
std::array<uint8_t, kVmsaSize> make_vmsa_long_mode(const LongModeState& s);

// A vCPU in the x86 reset state (AMD APM vol. 2, 14.1.3 "Processor
// Initialization State"): real mode, CS selector 0xF000 with base cs_base,
// at rip. The defaults are the BSP's first instruction, 0xFFFFFFF0.
struct ResetState {
    uint64_t rip = 0xfff0;
    uint64_t cs_base = 0xffff0000;
    uint64_t rdx = 0;  // at reset EDX holds the CPUID Fn0000_0001 EAX signature
    uint64_t sev_features = kSevFeatureSnpActive;
    uint8_t vmpl = 0;  // the guest's VMPL: set it, VMPL0 is the SVSM's

    // Start at a 32-bit address instead, as an AP does at OVMF's SEV-ES AP
    // reset block: CS base = ip & 0xFFFF0000, RIP = ip & 0xFFFF (QEMU's
    // sev_es_save_reset_vector and COCONUT-SVSM's init_guest_vmsa split it so).
    constexpr ResetState& start_at(uint32_t ip) {
        cs_base = ip & 0xffff0000u;
        rip = ip & 0xffffu;
        return *this;
    }
};

// The VMSA of a vCPU in that reset state, for a guest firmware (OVMF) the
// SVSM runs at a lower VMPL: the BSP with the defaults, an AP after
// start_at(ap_reset_ip). EFER.SVME is set, as every SEV-ES/SNP VMSA needs.
std::array<uint8_t, kVmsaSize> make_vmsa_reset(const ResetState& s);

}  // namespace warden::sev
