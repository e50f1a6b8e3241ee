#include <doctest/doctest.h>

#include "warden/svsm/taken_pages.hpp"

using namespace warden;
using namespace warden::svsm;

TEST_CASE("taken pages: a taken page is inside every range that overlaps it, and only those") {
    TakenPages<4> t;
    REQUIRE(t.take(PhysAddr(0x5000)).ok());
    CHECK(t.any_in(PhysRange{PhysAddr(0x5000), kPageSize}));
    CHECK(t.any_in(PhysRange{PhysAddr(0x5ff8), 8}));          // its last 8 bytes
    CHECK(t.any_in(PhysRange{PhysAddr(0x4ff8), 16}));         // a range running into it
    CHECK(t.any_in(PhysRange{PhysAddr(0), kLargePageSize}));  // the 2 MiB page holding it
    CHECK_FALSE(t.any_in(PhysRange{PhysAddr(kLargePageSize), kLargePageSize}));
    CHECK_FALSE(t.any_in(PhysRange{PhysAddr(0x4000), kPageSize}));     // the page below
    CHECK_FALSE(t.any_in(PhysRange{PhysAddr(0x6000), 8}));             // the page above
    CHECK_FALSE(t.any_in(PhysRange{PhysAddr(0x5000), 0}));             // nothing
    CHECK(t.any_in(PhysRange{PhysAddr(0xfffffffffffff000), 0x2000}));  // wraps: refused
}

TEST_CASE("taken pages: take, make live, end and give back in that order only") {
    TakenPages<2> t;
    const PhysAddr p(0x7000);
    CHECK(t.make_live(p).error() == Error::kDenied);  // never taken: not checked either
    CHECK(t.take(PhysAddr(0x7008)).error() == Error::kMisaligned);
    REQUIRE(t.take(p).ok());
    CHECK(t.take(p).error() == Error::kAlreadyMapped);  // a second CREATE_VCPU on the same page
    CHECK((t.is_taken(p) && !t.is_live(p)));
    REQUIRE(t.make_live(p).ok());
    CHECK(t.make_live(p).error() == Error::kAlreadyMapped);
    CHECK(t.give_back(p).error() == Error::kBusy);  // a live vCPU's VMSA stays taken
    CHECK(t.is_live(p));
    REQUIRE(t.end_live(p).ok());
    CHECK(t.end_live(p).error() == Error::kNotFound);  // DELETE_VCPU twice
    CHECK(t.is_taken(p));                              // still out of reach until given back
    REQUIRE(t.give_back(p).ok());
    CHECK(t.give_back(p).error() == Error::kNotMapped);
    CHECK_FALSE(t.any_in(PhysRange{p, kPageSize}));
    CHECK(t.count() == 0);
}

TEST_CASE("taken pages: a full table refuses, and a freed entry is reused") {
    TakenPages<2> t;
    REQUIRE(t.take(PhysAddr(0x1000)).ok());
    REQUIRE(t.take(PhysAddr(0x2000)).ok());
    CHECK(t.take(PhysAddr(0x3000)).error() == Error::kBusy);
    CHECK_FALSE(t.is_taken(PhysAddr(0x3000)));
    REQUIRE(t.give_back(PhysAddr(0x1000)).ok());
    REQUIRE(t.take(PhysAddr(0x3000)).ok());
    CHECK(t.count() == 2);
    CHECK(t.end_live(PhysAddr(0x2000)).error() == Error::kNotFound);  // taken but never live
}
