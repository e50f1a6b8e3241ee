#include <doctest/doctest.h>

#include <cstring>
#include <iterator>
#include <vector>

#include "warden/result.hpp"

using namespace warden;

namespace {
Result<int> half(int v) {
    if (v % 2 != 0) return Fail(Error::kInvalidArgument);
    return v / 2;
}
Result<int> quarter(int v) {
    WARDEN_TRY(h, half(v));
    return half(h);
}
Result<void> check_even(int v) {
    WARDEN_TRY_VOID(half(v));
    return {};
}
struct Counted {
    static inline int live = 0;
    Counted() { ++live; }
    Counted(const Counted&) { ++live; }
    ~Counted() { --live; }
};
}  // namespace

TEST_CASE("result: holds a value or an error") {
    const auto good = half(8);
    REQUIRE(good.ok());
    CHECK(*good == 4);
    const auto bad = half(3);
    CHECK_FALSE(bad.ok());
    CHECK(bad.error() == Error::kInvalidArgument);
    CHECK(bad.value_or(-1) == -1);
}

TEST_CASE("result: WARDEN_TRY propagates the first failure") {
    CHECK(*quarter(8) == 2);
    CHECK(quarter(6).error() == Error::kInvalidArgument);  // 6 -> 3 fails in the second step
    CHECK(quarter(5).error() == Error::kInvalidArgument);
    CHECK(check_even(4).ok());
    CHECK(check_even(5).error() == Error::kInvalidArgument);
}

TEST_CASE("result: values are constructed and destroyed exactly once") {
    {
        Result<Counted> r{Counted{}};
        CHECK(Counted::live == 1);
        Result<Counted> copy(r);
        CHECK(Counted::live == 2);
    }
    CHECK(Counted::live == 0);
    { Result<Counted> failed{Fail(Error::kBusy)}; }
    CHECK(Counted::live == 0);
    {
        Result<Counted> a{Counted{}};
        Result<Counted> b{Fail(Error::kBusy)};
        b = a;  // failed -> value: one more live object
        CHECK(Counted::live == 2);
        a = Result<Counted>{Fail(Error::kNoMemory)};  // value -> failed: one fewer
        CHECK(Counted::live == 1);
        CHECK(a.error() == Error::kNoMemory);
    }
    CHECK(Counted::live == 0);
}

TEST_CASE("result: every error has a distinct name") {
    std::vector<Error> all;
    for (int v = 1; v <= static_cast<int>(kLastError); ++v) all.push_back(static_cast<Error>(v));
    for (size_t i = 0; i < std::size(all); ++i) {
        CHECK(std::strcmp(error_name(all[i]), "unknown error") != 0);
        for (size_t j = 0; j < i; ++j) CHECK(std::strcmp(error_name(all[i]), error_name(all[j])) != 0);
    }
}
