// The TSC's rate from the 8254 PIT's channel 2 (tsc.hpp; lib/baremetal/pit.hpp,
// as kernel/arch/x86_64/tsc.cpp, with a longer gate).
#include "tsc.hpp"

#include "baremetal/pit.hpp"

namespace harness {

namespace {

constexpr uint64_t kPitHz = baremetal::pit::kHz;
constexpr uint64_t kGateTicks = kPitHz * kTscGateUs / 1'000'000;
static_assert(kGateTicks <= 0xffff, "the gate must fit the PIT's 16-bit count");

// a * b / c, split so that the product cannot overflow while a / c * b does
// not: a is a TSC delta or a page count, b and c are below 2^32 (rates in Hz).
uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c) { return a / c * b + a % c * b / c; }

uint64_t one_gate() {
    return mul_div(baremetal::pit::one_shot_cycles(static_cast<uint16_t>(kGateTicks)), kPitHz, kGateTicks);
}

}  // namespace

TscRate calibrate_tsc() {
    TscRate r;
    for (unsigned i = 0; i < kTscGates; ++i) {
        const uint64_t hz = one_gate();
        r.lowest = i == 0 || hz < r.lowest ? hz : r.lowest;
        r.highest = hz > r.highest ? hz : r.highest;
    }
    r.hz = r.lowest;
    return r;
}

uint64_t ticks_to_us(uint64_t ticks, uint64_t hz) { return hz == 0 ? 0 : mul_div(ticks, 1'000'000, hz); }

uint64_t per_second(uint64_t count, uint64_t ticks, uint64_t hz) { return ticks == 0 ? 0 : mul_div(count, hz, ticks); }

}  // namespace harness
