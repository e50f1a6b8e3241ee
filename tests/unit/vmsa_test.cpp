#include <doctest/doctest.h>

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
