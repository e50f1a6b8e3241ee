// The TSC's rate from the 8254 PIT (tsc.hpp): channel 2 in mode 0, whose
// OUT2 (port 0x61 bit 5) rises when the count reaches zero (Intel 8254 data
// sheet; the same method as kernel/arch/x86_64/tsc.cpp, with a longer gate).
#include "tsc.hpp"

#include "cpu.hpp"

namespace harness {

namespace {

constexpr uint64_t kPitHz = 1'193'182;  // the 8254's input clock
constexpr uint16_t kPitChannel2 = 0x42, kPitCommand = 0x43, kPortB = 0x61;
constexpr uint8_t kCh2LoHiMode0 = 0xb0;  // channel 2, low then high byte, mode 0, binary
constexpr uint8_t kGate2 = 0x01, kSpeaker = 0x02, kOut2 = 0x20;
constexpr uint64_t kGateTicks = kPitHz * kTscGateUs / 1'000'000;
static_assert(kGateTicks <= 0xffff, "the gate must fit the PIT's 16-bit count");

// a * b / c, split so that the product cannot overflow while a / c * b does
// not: a is a TSC delta or a page count, b and c are below 2^32 (rates in Hz).
uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c) { return a / c * b + a % c * b / c; }

uint64_t one_gate() {
    cpu::outb(kPortB, static_cast<uint8_t>((cpu::inb(kPortB) & ~kSpeaker) | kGate2));
    cpu::outb(kPitCommand, kCh2LoHiMode0);
    cpu::outb(kPitChannel2, kGateTicks & 0xff);
    const uint64_t start = cpu::rdtsc();
    cpu::outb(kPitChannel2, kGateTicks >> 8);  // counting starts with the high byte
    while (!(cpu::inb(kPortB) & kOut2)) cpu::pause();
    return mul_div(cpu::rdtsc() - start, kPitHz, kGateTicks);
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
