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

TEST_CASE("vmsa: a protected-mode start state at the offsets of SPEC-FACTS 6") {
    const auto v = make_vmsa_protected_mode(VmsaState{.rip = 0x100000, .rbx = 0x7000});
    CHECK(get(v, 0x010, 2) == 0x08);   // CS selector
    CHECK(get(v, 0x012, 2) == 0xc9b);  // CS attributes: 32-bit code
    CHECK(get(v, 0x014, 4) == 0xffffffff);
    CHECK(get(v, 0x022, 2) == 0xc93);       // SS attributes: data
    CHECK(get(v, 0x092, 2) == 0x08b);       // TR: busy TSS
    CHECK(get(v, 0x0ca, 1) == 0);           // VMPL0
    CHECK(get(v, 0x0d0, 8) == (1u << 12));  // EFER.SVME
    CHECK(get(v, 0x158, 8) == 0x11);        // CR0: PE, ET
    CHECK(get(v, 0x170, 8) == 2);           // RFLAGS
    CHECK(get(v, 0x178, 8) == 0x100000);    // RIP
    CHECK(get(v, 0x318, 8) == 0x7000);      // RBX
    CHECK(get(v, 0x3b0, 8) == kSevFeatureSnpActive);
    CHECK(get(v, 0x3e8, 8) == 1);  // XCR0
    CHECK(get(v, 0x268, 8) == 0x0007040600070406);
}
