#include <doctest/doctest.h>

#include <string_view>

#include "svsm_fake_guest.hpp"
#include "warden/svsm/harness_cases.hpp"

using namespace warden;
using namespace warden::svsm;
using namespace warden::svsm::testing;

TEST_CASE("harness_cases: every case gets its expected code from the dispatcher, nothing changed") {
    Fixture f;
    const harness::Addresses at{.list = 0x6000, .svsm = FakeGuest::kSvsmBase, .outside = FakeGuest::kTop};
    const auto before = f.snapshot();
    for (const auto& c : harness::register_cases()) {
        CAPTURE(c.what);
        CallRegs r = harness::registers(c, at);
        dispatch(r, f.vcpu, f.g);
        CHECK(r.rax == c.expected);
    }
    CHECK(f.snapshot() == before);
}

TEST_CASE("harness_cases: the table and its addresses") {
    const harness::Addresses at{.list = 0x6000, .svsm = 0x100000, .outside = 0x1000000};
    CHECK(harness::resolve(harness::Arg::kZero, at) == 0);
    CHECK(harness::resolve(harness::Arg::kListPlus4, at) == 0x6004);
    CHECK(harness::resolve(harness::Arg::kListAcrossPage, at) == 0x6ffc);  // 8-byte header crosses the page
    CHECK(harness::resolve(harness::Arg::kOutside, at) == 0x1000000);
    CHECK(harness::register_cases().size() == 11);
    for (const auto& c : harness::register_cases()) {
        CAPTURE(c.what);
        CHECK(std::string_view(c.what).size() > 0);
        CHECK(c.expected != kSuccess);
    }
}
