#include <doctest/doctest.h>

#include "warden/svm/mtrr.hpp"

using namespace warden::svm;

// What OVMF's SEC and PEI write (MtrrLib: default type WB with E and FE,
// fixed ranges WB, a variable pair for the 32-bit PCI hole as UC) reads
// back; what the CPU would #GP on is refused and leaves the value alone.
TEST_CASE("svm mtrr: the guest's MTRRs read back what it wrote; MTRRcap as KVM reports it") {
    Mtrrs m;
    uint64_t v = 0;
    REQUIRE(mtrr_access(m, 0xfe, false, v, 48) == MtrrAccess::kDone);
    CHECK(v == 0x508);
    v = 0xc06;  // E, FE, WB
    CHECK(mtrr_access(m, 0x2ff, true, v, 48) == MtrrAccess::kDone);
    v = 0x0606060606060606;
    CHECK(mtrr_access(m, 0x250, true, v, 48) == MtrrAccess::kDone);
    CHECK(mtrr_access(m, 0x26f, true, v, 48) == MtrrAccess::kDone);
    v = 0x80000000;  // base 2 GiB, UC
    CHECK(mtrr_access(m, 0x200, true, v, 48) == MtrrAccess::kDone);
    v = 0xffff80000800;  // mask 2 GiB, valid
    CHECK(mtrr_access(m, 0x201, true, v, 48) == MtrrAccess::kDone);
    uint64_t r = 0;
    CHECK(mtrr_access(m, 0x2ff, false, r, 48) == MtrrAccess::kDone);
    CHECK(r == 0xc06);
    CHECK(mtrr_access(m, 0x26f, false, r, 48) == MtrrAccess::kDone);
    CHECK(r == 0x0606060606060606);
    CHECK(mtrr_access(m, 0x201, false, r, 48) == MtrrAccess::kDone);
    CHECK(r == 0xffff80000800);
    CHECK(mtrr_access(m, 0x20f, false, r, 48) == MtrrAccess::kDone);
    CHECK(r == 0);
}

TEST_CASE("svm mtrr: writes the CPU would #GP on change nothing; other MSRs are not MTRRs") {
    Mtrrs m;
    uint64_t v = 0xc06;
    REQUIRE(mtrr_access(m, 0x2ff, true, v, 48) == MtrrAccess::kDone);
    const struct {
        uint32_t msr;
        uint64_t value;
    } bad[] = {
        {0xfe, 0x508},                // MTRRcap is read-only
        {0x2ff, 0xc02},               // type 2 is reserved
        {0x2ff, 0x1c06},              // bit 12 reserved
        {0x250, 0x0606060606060607},  // a fixed range of type 7
        {0x200, 0x80000003},          // base of type 3
        {0x200, 0x80000106},          // base bits 11:8 reserved
        {0x200, 0x1000000000006},     // base above 48 physical bits
        {0x201, 0xffff80000801},      // mask bits 10:0 reserved
        {0x201, 0x1ffff80000800},     // mask above 48 physical bits
    };
    for (const auto& b : bad) {
        uint64_t x = b.value;
        CHECK(mtrr_access(m, b.msr, true, x, 48) == MtrrAccess::kGp);
    }
    uint64_t r = 0;
    CHECK(mtrr_access(m, 0x2ff, false, r, 48) == MtrrAccess::kDone);
    CHECK(r == 0xc06);
    CHECK(mtrr_access(m, 0x10, false, r, 48) == MtrrAccess::kNotMtrr);   // TSC
    CHECK(mtrr_access(m, 0x210, false, r, 48) == MtrrAccess::kNotMtrr);  // past the eighth pair
    CHECK(mtrr_access(m, 0x251, false, r, 48) == MtrrAccess::kNotMtrr);
}

// A CPU with 64 physical address bits has no reserved high bits in a
// variable pair (the shift that finds them must not overflow).
TEST_CASE("svm mtrr: 64 physical address bits leave no reserved high bits") {
    Mtrrs m;
    uint64_t v = 0xfff0000000000006;  // WB base at the top of a 64-bit space
    CHECK(mtrr_access(m, 0x200, true, v, 64) == MtrrAccess::kDone);
    v = 0xfff0000000000800;
    CHECK(mtrr_access(m, 0x201, true, v, 64) == MtrrAccess::kDone);
    v = 0xfff0000000000006;
    CHECK(mtrr_access(m, 0x202, true, v, 52) == MtrrAccess::kGp);  // above 52 bits
}
