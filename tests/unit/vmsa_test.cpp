#include <doctest/doctest.h>

#include <vector>

#include "warden/sev/vmsa.hpp"

using namespace warden;
using namespace warden::sev;

namespace {
uint64_t get(const std::array<uint8_t, kVmsaSize>& v, size_t at, size_t n) {
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) x |= uint64_t{v[at + i]} << (8 * i);
    return x;
}
}  // namespace

TEST_CASE("vmsa: a 64-bit start state at the offsets of SPEC-FACTS 6") {
    const auto v = make_vmsa_long_mode(
        LongModeState{.rip = 0xffffffff80100000, .rsp = 0xffffff0000010000, .rdi = 3, .rbx = 0x7000, .cr3 = 0x9000});
    CHECK(get(v, 0x010, 2) == 0x08);   // CS selector
    CHECK(get(v, 0x012, 2) == 0xa9b);  // CS attributes: 64-bit code (L, not D/B)
    CHECK(get(v, 0x022, 2) == 0xc93);  // SS attributes: data
    CHECK(get(v, 0x092, 2) == 0x08b);  // TR: busy TSS
    CHECK(get(v, 0x0ca, 1) == 0);      // VMPL0
    CHECK(get(v, 0x0d0, 8) == (kEferSvme | kEferLme | kEferLma | kEferNxe));
    CHECK(get(v, 0x148, 8) == kCr4Pae);
    CHECK(get(v, 0x150, 8) == 0x9000);
    CHECK(get(v, 0x158, 8) == 0x80010031);  // PG, WP, NE, ET, PE
    CHECK(get(v, 0x170, 8) == 2);           // RFLAGS
    CHECK(get(v, 0x178, 8) == 0xffffffff80100000);
    CHECK(get(v, 0x1d8, 8) == 0xffffff0000010000);
    CHECK(get(v, 0x318, 8) == 0x7000);  // RBX
    CHECK(get(v, 0x338, 8) == 3);       // RDI
    CHECK(get(v, 0x3b0, 8) == kSevFeatureSnpActive);
    CHECK(get(v, 0x3e8, 8) == 1);  // XCR0
    CHECK(get(v, 0x268, 8) == 0x0007040600070406);
}

TEST_CASE("vmsa: SVME is always set, and VMPL and SEV_FEATURES are the caller's") {
    const auto v = make_vmsa_long_mode(LongModeState{.efer = 0, .sev_features = 0x21, .vmpl = 2});
    CHECK(get(v, 0x0d0, 8) == kEferSvme);
    CHECK(get(v, 0x0ca, 1) == 2);
    CHECK(get(v, 0x3b0, 8) == 0x21);
}

namespace {
struct Field {
    size_t at, size;
    uint64_t value;
};
// The whole reset VMSA of the BSP: these fields, and zeros everywhere else.
std::vector<Field> reset_fields(uint64_t rip, uint64_t cs_base, uint64_t rdx, uint8_t vmpl, uint64_t features) {
    std::vector<Field> f = {
        {0x010, 2, 0xf000},              // CS selector
        {0x012, 2, 0x9b},                // CS attributes: present, read/execute, accessed
        {0x014, 4, 0xffff},              // CS limit
        {0x018, 8, cs_base},             // CS base
        {0x0ca, 1, vmpl},                // VMPL (CPL at 0x0cb stays 0)
        {0x0d0, 8, kEferSvme},           // EFER
        {0x158, 8, 0x60000010},          // CR0: CD, NW, ET (CR3, CR4 0)
        {0x160, 8, 0x400},               // DR7
        {0x168, 8, 0xffff0ff0},          // DR6
        {0x170, 8, 2},                   // RFLAGS
        {0x178, 8, rip},                 // RIP
        {0x268, 8, 0x0007040600070406},  // G_PAT
        {0x310, 8, rdx},                 // RDX
        {0x3b0, 8, features},            // SEV_FEATURES
        {0x3e8, 8, 1},                   // XCR0
        {0x408, 4, 0x1f80},              // MXCSR
        {0x410, 2, 0x37f},               // x87 FCW
    };
    for (size_t at : {0x000, 0x020, 0x030, 0x040, 0x050}) {  // ES, SS, DS, FS, GS
        f.push_back({at + 2, 2, 0x93});
        f.push_back({at + 4, 4, 0xffff});
    }
    f.push_back({0x064, 4, 0xffff});  // GDTR limit
    f.push_back({0x084, 4, 0xffff});  // IDTR limit
    f.push_back({0x072, 2, 0x82});    // LDTR: LDT
    f.push_back({0x074, 4, 0xffff});
    f.push_back({0x092, 2, 0x8b});  // TR: busy 32-bit TSS
    f.push_back({0x094, 4, 0xffff});
    return f;
}
void check_exactly(const std::array<uint8_t, kVmsaSize>& v, const std::vector<Field>& fields) {
    std::array<bool, kVmsaSize> covered{};
    for (const Field& f : fields) {
        CAPTURE(f.at);
        CHECK(get(v, f.at, f.size) == f.value);
        for (size_t i = 0; i < f.size; ++i) covered[f.at + i] = true;
    }
    for (size_t i = 0; i < kVmsaSize; ++i) {
        if (!covered[i] && v[i] != 0) FAIL_CHECK("unexpected non-zero byte at " << i);
    }
}
}  // namespace

TEST_CASE("vmsa: the reset state of the BSP, every field at its SPEC-FACTS 6 offset and nothing else") {
    const auto v = make_vmsa_reset(ResetState{.rdx = 0x00a00f11, .vmpl = 2});
    check_exactly(v, reset_fields(0xfff0, 0xffff0000, 0x00a00f11, 2, kSevFeatureSnpActive));
}

TEST_CASE("vmsa: an AP starts at OVMF's SEV-ES AP reset block, split into CS base and IP") {
    ResetState s{.rdx = 0x00a00f11, .sev_features = 0x21, .vmpl = 1};
    s.start_at(0x0080b004);
    CHECK(s.cs_base == 0x00800000);
    CHECK(s.rip == 0xb004);
    const auto v = make_vmsa_reset(s);
    check_exactly(v, reset_fields(0xb004, 0x00800000, 0x00a00f11, 1, 0x21));
    CHECK(get(v, 0x010, 2) == 0xf000);  // the selector stays 0xF000, as QEMU sets it

    // The BSP's first instruction, 0xFFFFFFF0, split the same way, is the default.
    ResetState bsp;
    bsp.start_at(0xfffffff0);
    CHECK(make_vmsa_reset(bsp) == make_vmsa_reset(ResetState{}));
}

TEST_CASE("vmsa: the reset VMSA has EFER.SVME and only it, and takes VMPL and SEV_FEATURES from the caller") {
    for (uint8_t vmpl = 0; vmpl < 4; ++vmpl) {
        const auto v = make_vmsa_reset(ResetState{.sev_features = 0, .vmpl = vmpl});
        CHECK(get(v, 0x0d0, 8) == kEferSvme);
        CHECK(get(v, 0x0ca, 1) == vmpl);
        CHECK(get(v, 0x3b0, 8) == 0);
    }
    CHECK(ResetState{}.sev_features == kSevFeatureSnpActive);
}
