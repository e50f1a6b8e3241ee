#include <doctest/doctest.h>

#include "warden/timeout.hpp"

using namespace warden;

constexpr uint64_t kHz = 100;

TEST_CASE("timeout: milliseconds round up to whole ticks; 0 polls and kForever waits for ever") {
    CHECK(timeout::to_ticks(0, kHz) == 0);
    CHECK(timeout::to_ticks(1, kHz) == 1);
    CHECK(timeout::to_ticks(10, kHz) == 1);
    CHECK(timeout::to_ticks(11, kHz) == 2);
    CHECK(timeout::to_ticks(5000, kHz) == 500);
    CHECK(timeout::to_ticks(abi::kForever, kHz) == abi::kForever);
}

TEST_CASE("timeout: a huge timeout no longer wraps into a near-zero one") {
    // 184467440737095517 ms * 100 is 2^64 + 84: the old formula gave 1 tick.
    CHECK(timeout::to_ticks(184467440737095517, kHz) == 18446744073709552);
    CHECK(timeout::to_ticks(abi::kForever - 1, kHz) == 1844674407370955162);
    CHECK(timeout::to_ticks(uint64_t{1} << 63, kHz) == 922337203685477581);
    for (uint64_t ms = uint64_t{1} << 40; ms < abi::kForever / 4; ms = ms * 3 + 7) {
        CAPTURE(ms);
        CHECK(timeout::to_ticks(ms, kHz) >= ms / 10);  // never less than asked for
    }
}

TEST_CASE("timeout: where the ticks do not fit in 64 bits, the wait is for ever") {
    CHECK(timeout::to_ticks(abi::kForever - 1, 1'000'000) == abi::kForever);
    CHECK(timeout::to_ticks(1, uint64_t{1} << 60) == abi::kForever);
    CHECK(timeout::to_ticks(999, 1'000'000) == 999'000);
}

TEST_CASE("timeout: a deadline saturates at the tick that never comes") {
    CHECK(timeout::deadline(5, 10) == 15);
    CHECK(timeout::deadline(5, abi::kForever - 1) == abi::kForever);
    CHECK(timeout::deadline(abi::kForever, 1) == abi::kForever);
}
