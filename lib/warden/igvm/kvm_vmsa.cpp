// The host's VMSA model: QEMU 10.1's check_vmsa_supported and
// sev_apply_cpu_context, then Linux's KVM_SET_SREGS/REGS/XCRS/XSAVE paths and
// sev_es_sync_vmsa. Offsets: Linux struct sev_es_save_area (SPEC-FACTS.md 6).
#include "warden/igvm/kvm_vmsa.hpp"

namespace warden::igvm {
namespace {

// A field of the save area that QEMU takes from the file (its
// check_vmsa_supported zeroes exactly these before it demands all-zero).
struct Field {
    size_t at, size;
};
constexpr size_t kSegments = 0x000, kSegmentsEnd = 0x0a0;  // ES CS SS DS FS GS GDTR LDTR IDTR TR
constexpr size_t kGdtr = 0x060, kLdtr = 0x070, kIdtr = 0x080, kTr = 0x090, kSs = 0x020;
constexpr size_t kCpl = 0x0cb, kEfer = 0x0d0, kCr4 = 0x148, kCr3 = 0x150, kCr0 = 0x158, kDr7 = 0x160, kDr6 = 0x168,
                 kRflags = 0x170, kRip = 0x178, kRsp = 0x1d8, kRax = 0x1f8, kGpat = 0x268, kRcx = 0x308, kRdx = 0x310,
                 kRbx = 0x318, kRbp = 0x328, kR15 = 0x378, kSevFeatures = 0x3b0, kXcr0 = 0x3e8, kMxcsr = 0x408,
                 kX87Fcw = 0x410;
constexpr Field kQemuFields[] = {
    {kSegments, kSegmentsEnd - kSegments},
    {kEfer, 8},
    {kCr4, 8},
    {kCr3, 8},
    {kCr0, 8},
    {kDr7, 8},
    {kDr6, 8},
    {kRflags, 8},
    {kRip, 8},
    {kRsp, 8},
    {kRax, 8},
    {kGpat, 8},
    {kRcx, kRbx + 8 - kRcx},  // RCX, RDX, RBX
    {kRbp, kR15 + 8 - kRbp},  // RBP, RSI, RDI, R8..R15
    {kSevFeatures, 8},
    {kXcr0, 8},
    {kMxcsr, 4},
    {kX87Fcw, 2},
};

constexpr uint64_t kSnpActive = 1;                      // SEV_FEATURES bit 0
constexpr uint64_t kEferSvme = 1u << 12;                // svm_set_efer: save.efer = efer | EFER_SVME
constexpr uint64_t kCr4Mce = 1u << 6;                   // svm_set_cr4: cr4 |= host CR4.MCE (on)
constexpr uint64_t kCr0Et = 1u << 4;                    // QEMU cpu_x86_update_cr0 forces ET
constexpr uint64_t kCr0CdNw = (1u << 30) | (1u << 29);  // KVM_X86_QUIRK_CD_NW_CLEARED (default on)
constexpr uint64_t kRflagsFixed = 2;                    // __set_regs: rflags | X86_EFLAGS_FIXED
constexpr uint64_t kDr7Fixed = 0x400;                   // sev_es_sync_vmsa refuses DR7 & ~DR7_FIXED_1
constexpr uint16_t kAttribBits = 0x0fff;                // kvm_segment carries type S DPL P AVL L DB G

uint64_t get(std::span<const uint8_t> v, size_t at, size_t n) {
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) x |= uint64_t{v[at + i]} << (8 * i);
    return x;
}
void put(VmsaPage& v, size_t at, uint64_t x, size_t n) {
    for (size_t i = 0; i < n; ++i) v[at + i] = static_cast<uint8_t>(x >> (8 * i));
}
void segment(VmsaPage& v, size_t at, uint16_t selector, uint16_t attrib, uint32_t limit, uint64_t base) {
    put(v, at, selector, 2);
    put(v, at + 2, attrib, 2);
    put(v, at + 4, limit, 4);
    put(v, at + 8, base, 8);
}

bool in_qemu_field(size_t at) {
    for (const Field& f : kQemuFields) {
        if (at >= f.at && at < f.at + f.size) return true;
    }
    return false;
}

}  // namespace

Result<VmsaPage> kvm_bsp_vmsa(std::span<const uint8_t, kVmsaPageSize> f) {
    for (size_t at = 0; at < kVmsaPageSize; ++at) {
        if (f[at] != 0 && !in_qemu_field(at)) return Fail(Error::kUnsupported);
    }
    const uint64_t features = get(f, kSevFeatures, 8);
    if ((features & kSnpActive) == 0) return Fail(Error::kUnsupported);
    if (get(f, kTr + 8, 8) != get(f, kLdtr + 8, 8)) return Fail(Error::kUnsupported);
    if (get(f, kDr7, 8) != kDr7Fixed || (get(f, kXcr0, 8) & 1) == 0) return Fail(Error::kInvalidArgument);

    // Every field QEMU takes arrives in KVM's VMSA unchanged but for the
    // adjustments below (sev_es_sync_vmsa copies the GPRs, RIP, XCR0, the
    // x87/SSE control words and sev_features, which QEMU passes to
    // KVM_SEV_INIT2 as vmsa_features and KVM completes with SNP_ACTIVE; the
    // x87 tag, status and data registers are 0 after QEMU's reset).
    VmsaPage v{};
    for (size_t at = 0; at < kVmsaPageSize; ++at) {
        if (in_qemu_field(at)) v[at] = f[at];
    }
    // KVM_SET_SREGS: a kvm_segment has only the twelve attribute bits; GDTR
    // and IDTR are a base and a 16-bit limit (struct kvm_dtable), their
    // selector and attributes stay at init_vmcb's 0.
    for (size_t at = kSegments; at < kSegmentsEnd; at += 16) {
        if (at == kGdtr || at == kIdtr) {
            put(v, at, 0, 4);
            put(v, at + 4, get(f, at + 4, 4) & 0xffff, 4);
        } else {
            put(v, at + 2, get(f, at + 2, 2) & kAttribBits, 2);
        }
    }
    put(v, kCpl, (get(f, kSs + 2, 2) >> 5) & 3, 1);  // svm_set_segment: CPL = SS.DPL
    put(v, kEfer, get(f, kEfer, 8) | kEferSvme, 8);
    put(v, kCr4, get(f, kCr4, 8) | kCr4Mce, 8);
    put(v, kCr0, (get(f, kCr0, 8) | kCr0Et) & ~kCr0CdNw, 8);  // CR3: svm_post_set_cr3, as given
    put(v, kRflags, get(f, kRflags, 8) | kRflagsFixed, 8);
    return v;
}

VmsaPage kvm_ap_vmsa(uint32_t cpu_signature, uint64_t sev_features) {
    // QEMU x86_cpu_reset_hold: real-mode segments with the accessed bit,
    // TR a busy 32-bit TSS, LDTR an LDT, 64 KiB limits, PAT at its reset
    // value, FPU as FNINIT; then KVM's rules as for the BSP.
    constexpr uint16_t kData16 = 0x093, kCode16 = 0x09b, kLdtAttr = 0x082, kTss32Busy = 0x08b;
    VmsaPage v{};
    for (size_t at : {size_t{0x000}, size_t{0x020}, size_t{0x030}, size_t{0x040}, size_t{0x050}})
        segment(v, at, 0, kData16, 0xffff, 0);
    segment(v, 0x010, 0xf000, kCode16, 0xffff, 0xffff0000);
    segment(v, kGdtr, 0, 0, 0xffff, 0);
    segment(v, kIdtr, 0, 0, 0xffff, 0);
    segment(v, kLdtr, 0, kLdtAttr, 0xffff, 0);
    segment(v, kTr, 0, kTss32Busy, 0xffff, 0);
    put(v, kEfer, kEferSvme, 8);
    put(v, kCr4, kCr4Mce, 8);
    put(v, kCr0, (0x60000010 | kCr0Et) & ~kCr0CdNw, 8);  // reset CR0 CD|NW|ET, CD/NW cleared
    put(v, kDr7, kDr7Fixed, 8);
    put(v, kDr6, 0xffff0ff0, 8);
    put(v, kRflags, kRflagsFixed, 8);
    put(v, kRip, 0xfff0, 8);
    put(v, kGpat, 0x0007040600070406, 8);
    put(v, kRdx, cpu_signature, 8);
    put(v, kSevFeatures, sev_features, 8);
    put(v, kXcr0, 1, 8);
    put(v, kMxcsr, 0x1f80, 4);
    put(v, kX87Fcw, 0x037f, 2);
    return v;
}

}  // namespace warden::igvm
