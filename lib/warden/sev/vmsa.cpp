// VMSA layout: offsets from SPEC-FACTS.md 6 (the x87 ones from Linux struct
// sev_es_save_area); segment attributes in the VMCB's packed form (type, S,
// DPL, P, AVL, L, D/B, G).
#include "warden/sev/vmsa.hpp"

namespace warden::sev {
namespace {

using Vmsa = std::array<uint8_t, kVmsaSize>;

constexpr size_t kEs = 0x000, kCs = 0x010, kSs = 0x020, kDs = 0x030, kFs = 0x040, kGs = 0x050, kGdtr = 0x060,
                 kLdtr = 0x070, kIdtr = 0x080, kTr = 0x090, kVmpl = 0x0ca, kCpl = 0x0cb, kEfer = 0x0d0, kCr4 = 0x148,
                 kCr3 = 0x150, kCr0 = 0x158, kDr7 = 0x160, kDr6 = 0x168, kRflags = 0x170, kRip = 0x178, kGpat = 0x268,
                 kRsp = 0x1d8, kRdx = 0x310, kRbx = 0x318, kRdi = 0x338, kSevFeatures = 0x3b0, kXcr0 = 0x3e8,
                 kMxcsr = 0x408, kX87Fcw = 0x410;
constexpr uint16_t kData32 = 0xc93;  // type 0x3, S, P, D/B, G
constexpr uint16_t kCode64 = 0xa9b;  // type 0xb, S, P, L, G
// Real-mode segments as QEMU's x86_cpu_reset loads them (P, S, accessed; code
// readable, data writable), the values of its SEV-ES/SNP launch VMSAs
// (virtee/sev-snp-measure, "QEMU" profile) and of COCONUT-SVSM's
// init_guest_vmsa. KVM's own SVM reset leaves the accessed bit clear (0x9a,
// 0x92); either is a valid real-mode descriptor cache.
constexpr uint16_t kCode16 = 0x09b;
constexpr uint16_t kData16 = 0x093;
// TR: type 0xb, a busy 32-bit TSS, as QEMU and COCONUT-SVSM load it (KVM's
// SVM reset uses type 3, a busy 16-bit TSS: 0x83). LDTR: type 2, an LDT.
constexpr uint16_t kTss32Busy = 0x08b;
constexpr uint16_t kLdt = 0x082;

// Reset values, AMD APM vol. 2, 14.1.3 "Processor Initialization State".
constexpr uint64_t kResetCr0 = 0x60000010;  // CD, NW, ET
constexpr uint64_t kResetDr6 = 0xffff0ff0, kResetDr7 = 0x400, kResetRflags = 0x2;
constexpr uint64_t kResetPat = 0x0007040600070406;  // the PAT MSR at reset (APM vol. 2, 7.8 "Page-Attribute Table")
constexpr uint64_t kResetXcr0 = 1;                  // x87, the bit that is always set
// x87/SSE control as FNINIT leaves them: what KVM writes into a launched
// VMSA since it syncs the FPU state (sev-snp-measure's QEMU profile: MXCSR
// 0x1f80, FCW 0x37f, tag word 0). Power-on FCW would be 0x0040, all x87
// exceptions unmasked; firmware runs FNINIT before using the FPU either way.
constexpr uint64_t kInitMxcsr = 0x1f80, kInitFcw = 0x037f;

void put(Vmsa& v, size_t at, uint64_t value, size_t n) {
    for (size_t i = 0; i < n; ++i) v[at + i] = static_cast<uint8_t>(value >> (8 * i));
}
void segment(Vmsa& v, size_t at, uint16_t selector, uint16_t attrib, uint32_t limit, uint64_t base = 0) {
    put(v, at, selector, 2);
    put(v, at + 2, attrib, 2);
    put(v, at + 4, limit, 4);
    put(v, at + 8, base, 8);
}

// What every VMSA Warden builds shares: empty GDTR and IDTR, the reset LDTR
// and TR, debug registers, RFLAGS, PAT and XCR0, CPL 0, and the SEV fields
// (EFER.SVME is required in an SEV-ES/SNP VMSA).
Vmsa common(uint8_t vmpl, uint64_t sev_features, uint64_t efer) {
    Vmsa v{};
    segment(v, kGdtr, 0, 0, 0xffff);
    segment(v, kIdtr, 0, 0, 0xffff);
    segment(v, kLdtr, 0, kLdt, 0xffff);
    segment(v, kTr, 0, kTss32Busy, 0xffff);
    put(v, kVmpl, vmpl, 1);
    put(v, kCpl, 0, 1);
    put(v, kDr7, kResetDr7, 8);
    put(v, kDr6, kResetDr6, 8);
    put(v, kRflags, kResetRflags, 8);
    put(v, kGpat, kResetPat, 8);
    put(v, kSevFeatures, sev_features, 8);
    put(v, kXcr0, kResetXcr0, 8);
    put(v, kEfer, efer | kEferSvme, 8);
    return v;
}

}  // namespace

// Flat segments, paging on; the rest from the caller.
std::array<uint8_t, kVmsaSize> make_vmsa_long_mode(const LongModeState& s) {
    Vmsa v = common(s.vmpl, s.sev_features, s.efer);
    segment(v, kCs, 0x08, kCode64, 0xffffffff);
    for (size_t at : {kEs, kSs, kDs, kFs, kGs}) segment(v, at, 0x10, kData32, 0xffffffff);
    put(v, kCr4, s.cr4, 8);
    put(v, kCr3, s.cr3, 8);
    put(v, kCr0, s.cr0, 8);
    put(v, kRip, s.rip, 8);
    put(v, kRsp, s.rsp, 8);
    put(v, kRbx, s.rbx, 8);
    put(v, kRdi, s.rdi, 8);
    put(v, kMxcsr, s.mxcsr, 4);
    put(v, kX87Fcw, s.x87_fcw, 2);
    return v;
}

// Real mode: 64 KiB segments, CR0 and CR4 as at reset (CR4 0). KVM's launch
// VMSAs differ in CR0 (0x10: its CD/NW quirk) and CR4 (0x40: it forces MCE
// on); those are KVM's host policy, not the reset state COCONUT-SVSM also
// hands OVMF.
std::array<uint8_t, kVmsaSize> make_vmsa_reset(const ResetState& s) {
    Vmsa v = common(s.vmpl, s.sev_features, 0);
    segment(v, kCs, 0xf000, kCode16, 0xffff, s.cs_base);
    for (size_t at : {kEs, kSs, kDs, kFs, kGs}) segment(v, at, 0, kData16, 0xffff);
    put(v, kCr0, kResetCr0, 8);
    put(v, kRip, s.rip, 8);
    put(v, kRdx, s.rdx, 8);
    put(v, kMxcsr, kInitMxcsr, 4);
    put(v, kX87Fcw, kInitFcw, 2);
    return v;
}

}  // namespace warden::sev
