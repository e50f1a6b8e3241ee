// The MTRRs a hypervisor emulates for its guest, per vCPU, as KVM does
// (arch/x86/kvm/mtrr.c): the guest programs them through the GHCB (an
// SEV-ES guest's RDMSR/WRMSR are #VC exits), and they change nothing of the
// host's caching. Layout and rules: Intel SDM vol. 3A 12.11 / AMD APM vol. 2
// 7.7 (MTRRcap 0xFE, MTRRdefType 0x2FF, the eleven fixed-range MSRs, eight
// variable pairs 0x200-0x20F). The values come from the guest: a write the
// CPU would #GP on is refused and changes nothing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace warden::svm {

inline constexpr uint32_t kMsrMtrrCap = 0xfe, kMsrMtrrDefType = 0x2ff;
inline constexpr size_t kVariableMtrrs = 8;  // KVM_NR_VAR_MTRR
// MTRRcap: VCNT 8, FIX (bit 8), WC (bit 10), as KVM reports it.
inline constexpr uint64_t kMtrrCap = kVariableMtrrs | (1u << 8) | (1u << 10);

struct Mtrrs {
    uint64_t def_type = 0;
    std::array<uint64_t, 11> fixed{};                // 0x250, 0x258, 0x259, 0x268..0x26F
    std::array<uint64_t, 2 * kVariableMtrrs> var{};  // base, mask pairs from 0x200
};

enum class MtrrAccess : uint8_t { kNotMtrr, kDone, kGp };

// msr is an MTRR: a read fills value, a write checks it (memory types 0, 1,
// 4, 5, 6; reserved bits clear; bits at or above phys_bits clear in a
// variable pair) and stores it. MTRRcap is read-only.
MtrrAccess mtrr_access(Mtrrs& m, uint32_t msr, bool write, uint64_t& value, unsigned phys_bits);

}  // namespace warden::svm
