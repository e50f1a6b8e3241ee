// System-call timeouts as timer ticks, and the tick a wait ends at, without
// wrapping: a huge timeout once multiplied past 2^64 into a near-zero one
// (issue 18). Both saturate, so a huge timeout waits as long as it says or,
// where that does not fit in 64 bits, for ever.
#pragma once

#include <cstdint>

#include "warden/abi/syscall.hpp"
#include "warden/checked.hpp"

namespace warden::timeout {

// ceil(ms * hz / 1000) computed without overflow: 0 stays 0 (a poll),
// abi::kForever stays kForever, and a count of ticks that would not fit in
// 64 bits is kForever. At 100 Hz every finite timeout fits (the largest is
// 1.8e18 ticks, 584 million years), so it waits what it asked for.
constexpr uint64_t to_ticks(uint64_t ms, uint64_t hz) {
    if (ms == abi::kForever || hz >= (uint64_t{1} << 54)) return abi::kForever;
    const auto whole = checked_mul(ms / 1000, hz);
    if (!whole) return abi::kForever;
    const uint64_t part = (ms % 1000 * hz + 999) / 1000;  // below 1000 * 2^54: no overflow
    return checked_add(*whole, part).value_or(abi::kForever);
}

// The tick a wait of `ticks` from `now` ends at; ~0 (never reached) where the
// sum does not fit.
constexpr uint64_t deadline(uint64_t now, uint64_t ticks) { return checked_add(now, ticks).value_or(~uint64_t{0}); }

}  // namespace warden::timeout
