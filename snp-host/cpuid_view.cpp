// The emulated CPU's CPUID answers.
#include "cpuid_view.hpp"

#include "cpu.hpp"

namespace snp_host {
namespace {

// CPUID Fn8000_001F (AMD APM vol. 3 appendix E.4.17; SPEC-FACTS 1).
constexpr uint32_t kSevLeaf = 0x8000001f;
constexpr uint32_t kEaxSev = 1u << 1, kEaxSevEs = 1u << 3, kEaxSnp = 1u << 4, kEaxVmpl = 1u << 5;
// EBX 11:6 PhysAddrReduction: how many physical-address bits are lost when
// memory encryption is on. CPUID 0x80000008 reports 48 address bits here and
// the C-bit takes bit 47, leaving 47 usable bits: a reduction of 1.
constexpr uint32_t kPhysAddrReduction = 1;
constexpr uint32_t kVmpls = 4;  // EBX 15:12: VMPL0..3
// ECX: encrypted guests the host can run at once; EDX: the lowest ASID an
// SEV (not SEV-ES) guest may use. One ASID per emulated guest context.
constexpr uint32_t kEncryptedGuests = 15, kMinSevAsid = 1;

}  // namespace

warden::sev::CpuidResult emulated_cpuid(uint32_t leaf, uint32_t subleaf) {
    if (leaf == kSevLeaf) {
        return {kEaxSev | kEaxSevEs | kEaxSnp | kEaxVmpl, kCBit | (kPhysAddrReduction << 6) | (kVmpls << 12),
                kEncryptedGuests, kMinSevAsid};
    }
    const auto r = cpu::cpuid(leaf, subleaf);
    if (leaf == 0x80000000 && r.eax < kSevLeaf) return {kSevLeaf, r.ebx, r.ecx, r.edx};
    return {r.eax, r.ebx, r.ecx, r.edx};
}

}  // namespace snp_host
