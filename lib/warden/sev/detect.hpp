// Decoding what the CPU says about SEV: CPUID 0x8000001F and the SEV_STATUS
// MSR (AMD APM Vol. 2 15.34.1 and 15.36; SPEC-FACTS.md section 1), and the
// platform choice that follows from them.
#pragma once

#include "warden/bits.hpp"
#include "warden/format.hpp"

namespace warden::sev {

inline constexpr uint32_t kCpuidLeaf = 0x8000001f;
inline constexpr uint32_t kMsrSevStatus = 0xc0010131;

struct CpuidInfo {
    bool sme = false, sev = false, sev_es = false, snp = false, vmpl = false;
    unsigned c_bit = 0;           // EBX 5:0
    unsigned phys_reduction = 0;  // EBX 11:6
    unsigned vmpls = 0;           // EBX 15:12
    // The page-table bit that marks a page private, or 0 without SEV.
    uint64_t c_bit_mask() const { return sev && c_bit > 0 && c_bit < 64 ? uint64_t{1} << c_bit : 0; }
};

constexpr CpuidInfo decode_cpuid(uint32_t eax, uint32_t ebx) {
    CpuidInfo i;
    i.sme = test_bit(eax, 0);
    i.sev = test_bit(eax, 1);
    i.sev_es = test_bit(eax, 3);
    i.snp = test_bit(eax, 4);
    i.vmpl = test_bit(eax, 5);
    i.c_bit = BitField<uint32_t, 0, 6>::get(ebx);
    i.phys_reduction = BitField<uint32_t, 6, 6>::get(ebx);
    i.vmpls = BitField<uint32_t, 12, 4>::get(ebx);
    return i;
}

// SEV_STATUS bits: 0 SEV, 1 SEV-ES, 2 SNP; bit n+2 is SEV_FEATURES bit n.
struct Status {
    uint64_t raw = 0;
    bool sev() const { return test_bit(raw, 0); }
    bool sev_es() const { return test_bit(raw, 1); }
    bool snp() const { return test_bit(raw, 2); }
    uint64_t features() const { return raw >> 2; }  // as in the VMSA's SEV_FEATURES
};

// Names of the SEV_STATUS bits, for the boot log: "SEV SEV-ES SNP vTOM ...".
void describe_status(fmt::Sink& out, Status s);

enum class PlatformKind : uint8_t {
    kNative,       // no SEV: plain QEMU/KVM/TCG
    kSnp,          // SEV-SNP active: Warden's real home
    kUnsupported,  // SEV or SEV-ES without SNP: no VMPLs, so no SVSM
};

// The platform for what CPUID and (where CPUID says it exists) SEV_STATUS say.
constexpr PlatformKind choose_platform(const CpuidInfo& cpuid, Status status) {
    if (!cpuid.sev) return PlatformKind::kNative;
    if (status.snp()) return PlatformKind::kSnp;
    return status.sev() ? PlatformKind::kUnsupported : PlatformKind::kNative;
}

}  // namespace warden::sev
