#include <doctest/doctest.h>

#include <limits>

#include "warden/checked.hpp"

using namespace warden;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST_CASE("checked: in-range arithmetic gives the plain result") {
    CHECK(*checked_add<uint64_t>(2, 3) == 5);
    CHECK(*checked_sub<uint64_t>(5, 3) == 2);
    CHECK(*checked_mul<uint64_t>(1 << 20, 1 << 20) == uint64_t{1} << 40);
    CHECK(*checked_add<uint64_t>(kMax - 1, 1) == kMax);
}

TEST_CASE("checked: overflow and underflow are errors, never wrapped values") {
    CHECK(checked_add<uint64_t>(kMax, 1).error() == Error::kOverflow);
    CHECK(checked_sub<uint64_t>(0, 1).error() == Error::kOverflow);
    CHECK(checked_mul<uint64_t>(uint64_t{1} << 32, uint64_t{1} << 32).error() == Error::kOverflow);
    CHECK(checked_add<uint32_t>(0xffffffffu, 1).error() == Error::kOverflow);
    CHECK(checked_end(kMax - 0xfff, 0x1000).error() == Error::kOverflow);
    CHECK(*checked_end(kMax - 0xfff, 0xfff) == kMax);
}

TEST_CASE("checked: align_up refuses to wrap and rejects bad alignments") {
    CHECK(*checked_align_up<uint64_t>(0x1001, 0x1000) == 0x2000);
    CHECK(*checked_align_up<uint64_t>(0x1000, 0x1000) == 0x1000);
    CHECK(checked_align_up<uint64_t>(kMax - 10, 0x1000).error() == Error::kOverflow);
    CHECK(checked_align_up<uint64_t>(10, 0).error() == Error::kInvalidArgument);
    CHECK(checked_align_up<uint64_t>(10, 24).error() == Error::kInvalidArgument);
}

TEST_CASE("checked: narrowing fails when the value does not fit") {
    CHECK(*checked_cast<uint16_t>(uint64_t{65535}) == 65535);
    CHECK(checked_cast<uint16_t>(uint64_t{65536}).error() == Error::kOverflow);
    CHECK(checked_cast<uint8_t>(256u).error() == Error::kOverflow);
}
