#include <doctest/doctest.h>

#include <vector>

#include "warden/igvm/kvm_vmsa.hpp"
#include "warden/sev/vmsa.hpp"

using namespace warden;
using namespace warden::igvm;

namespace {

uint64_t get(const VmsaPage& v, size_t offset, size_t n = 8) {
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) x |= uint64_t{v[offset + i]} << (8 * i);
    return x;
}
void set(VmsaPage& v, size_t offset, uint64_t x, size_t n = 8) {
    for (size_t i = 0; i < n; ++i) v[offset + i] = static_cast<uint8_t>(x >> (8 * i));
}

// The BSP VMSA warden-igvm packs: 64-bit, CR4.MCE already set, FNINIT's
// x87/SSE control words.
VmsaPage packed_bsp() {
    return sev::make_vmsa_long_mode(sev::LongModeState{.rip = 0xffffffff8200bd58,
                                                       .rbx = 0x3ff4000,
                                                       .cr3 = 0x3ff9000 | (uint64_t{1} << 51),
                                                       .cr4 = sev::kCr4Pae | (1u << 6),
                                                       .x87_fcw = 0x037f,
                                                       .mxcsr = 0x1f80});
}

}  // namespace

TEST_CASE("kvm_vmsa: constants follow QEMU, KVM and the CPUID encoding") {
    CHECK(kKvmVmsaGpa == 0xfffffffff000);  // KVM INITIAL_VMSA_GPA, QEMU KVM_VMSA_GPA
    CHECK(kSigEpyc == 0x800f12);           // family 0x17 = 0xf + 0x8, model 1, stepping 2
    CHECK(kSigEpycRome == 0x830f10);
    CHECK(kSigEpycMilan == 0xa00f11);
    CHECK(kSigEpycGenoa == 0xa10f10);
    CHECK(kSigEpycTurin == 0xb00f00);
}

TEST_CASE("kvm_vmsa: the packer's BSP VMSA is exactly what KVM measures") {
    const VmsaPage v = packed_bsp();
    auto m = kvm_bsp_vmsa(v);
    REQUIRE(m.ok());
    CHECK(*m == v);
    CHECK(get(v, 0x318) == 0x3ff4000);  // RBX (the boot block) is among the fields QEMU syncs
}

TEST_CASE("kvm_vmsa: KVM's own adjustments to the BSP's state") {
    VmsaPage v = packed_bsp();
    set(v, 0x148, sev::kCr4Pae);                   // CR4 without MCE
    set(v, 0x0d0, sev::kEferLme | sev::kEferLma);  // EFER without SVME
    set(v, 0x158, 0x60000001);                     // CR0 PE with CD, NW, without ET
    set(v, 0x170, 0);                              // RFLAGS without bit 1
    set(v, 0x062, 0x93, 2);                        // GDTR attributes
    set(v, 0x060, 0x18, 2);                        // GDTR selector
    set(v, 0x084, 0x12345, 4);                     // IDTR limit above 16 bits
    set(v, 0x012, 0xfa9b, 2);                      // CS attribute bits 12..15
    set(v, 0x022, 0xc93 | (3u << 5), 2);           // SS.DPL 3
    auto m = kvm_bsp_vmsa(v);
    REQUIRE(m.ok());
    CHECK(get(*m, 0x148) == (sev::kCr4Pae | (1u << 6)));
    CHECK(get(*m, 0x0d0) == (sev::kEferLme | sev::kEferLma | sev::kEferSvme));
    CHECK(get(*m, 0x158) == 0x11);
    CHECK(get(*m, 0x170) == 2);
    CHECK(get(*m, 0x060, 4) == 0);  // GDTR selector and attributes: not in struct kvm_dtable
    CHECK(get(*m, 0x084, 4) == 0x2345);
    CHECK(get(*m, 0x012, 2) == 0xa9b);
    CHECK(get(*m, 0x0cb, 1) == 3);  // CPL = SS.DPL
    for (size_t off : {size_t{0x178}, size_t{0x150}, size_t{0x318}, size_t{0x3b0}, size_t{0x3e8}, size_t{0x268}})
        CHECK(get(*m, off) == get(v, off));
}

TEST_CASE("kvm_vmsa: a VMSA QEMU or KVM would refuse is refused with the exact error") {
    struct Case {
        const char* what;
        size_t offset, size;
        uint64_t value;
        Error expected;
    };
    const Case cases[] = {
        {"STAR (not synced by QEMU)", 0x200, 8, 1, Error::kUnsupported},
        {"VMPL (not synced)", 0x0ca, 1, 1, Error::kUnsupported},
        {"CPL byte (not synced)", 0x0cb, 1, 1, Error::kUnsupported},
        {"XSS (not synced)", 0x140, 8, 1, Error::kUnsupported},
        {"a byte past the save area", 0xfff, 1, 1, Error::kUnsupported},
        {"x87 tag word (not synced)", 0x40c, 2, 0xff, Error::kUnsupported},
        {"sev_features without SNP_ACTIVE", 0x3b0, 8, 0x20, Error::kUnsupported},
        {"TR base differs from LDTR base", 0x098, 8, 0x1000, Error::kUnsupported},
        {"DR7 with a breakpoint enabled", 0x160, 8, 0x401, Error::kInvalidArgument},
        {"XCR0 without x87", 0x3e8, 8, 0, Error::kInvalidArgument},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        VmsaPage v = packed_bsp();
        set(v, c.offset, c.value, c.size);
        CHECK(kvm_bsp_vmsa(v).error() == c.expected);
    }
}

TEST_CASE("kvm_vmsa: an AP is QEMU's reset state as KVM measures it (sev-snp-measure's QEMU VMSA)") {
    const VmsaPage v = kvm_ap_vmsa(kSigEpyc, 1);
    CHECK(get(v, 0x010, 2) == 0xf000);  // CS selector, attributes, limit, base
    CHECK(get(v, 0x012, 2) == 0x9b);
    CHECK(get(v, 0x014, 4) == 0xffff);
    CHECK(get(v, 0x018) == 0xffff0000);
    for (size_t seg : {size_t{0x000}, size_t{0x020}, size_t{0x030}, size_t{0x040}, size_t{0x050}})
        CHECK(get(v, seg + 2, 2) == 0x93);
    CHECK(get(v, 0x072, 2) == 0x82);  // LDTR
    CHECK(get(v, 0x092, 2) == 0x8b);  // TR
    CHECK(get(v, 0x064, 4) == 0xffff);
    CHECK(get(v, 0x084, 4) == 0xffff);
    CHECK(get(v, 0x0d0) == 0x1000);  // EFER.SVME
    CHECK(get(v, 0x148) == 0x40);    // CR4.MCE
    CHECK(get(v, 0x158) == 0x10);    // CR0: ET, CD/NW cleared
    CHECK(get(v, 0x160) == 0x400);
    CHECK(get(v, 0x168) == 0xffff0ff0);
    CHECK(get(v, 0x170) == 2);
    CHECK(get(v, 0x178) == 0xfff0);
    CHECK(get(v, 0x268) == 0x0007040600070406);
    CHECK(get(v, 0x310) == kSigEpyc);  // RDX
    CHECK(get(v, 0x3b0) == 1);
    CHECK(get(v, 0x3e8) == 1);
    CHECK(get(v, 0x408, 4) == 0x1f80);
    CHECK(get(v, 0x410, 2) == 0x37f);
    // Nothing else: 22 fields set, every other byte zero.
    VmsaPage rest = v;
    for (auto [off, n] : std::vector<std::pair<size_t, size_t>>{{0x000, 0xa0},
                                                                {0x0d0, 8},
                                                                {0x148, 8},
                                                                {0x158, 8},
                                                                {0x160, 8},
                                                                {0x168, 8},
                                                                {0x170, 8},
                                                                {0x178, 8},
                                                                {0x268, 8},
                                                                {0x310, 8},
                                                                {0x3b0, 8},
                                                                {0x3e8, 8},
                                                                {0x408, 4},
                                                                {0x410, 2}})
        for (size_t i = 0; i < n; ++i) rest[off + i] = 0;
    CHECK(rest == VmsaPage{});
    // The AP VMSA passes the BSP model unchanged: KVM treats both alike.
    auto m = kvm_bsp_vmsa(v);
    REQUIRE(m.ok());
    CHECK(*m == v);
}
