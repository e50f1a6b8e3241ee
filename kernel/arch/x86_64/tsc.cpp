// TSC calibration with the 8254 PIT (channel 2, mode 0: OUT2 rises when the
// count reaches zero; its state is bit 5 of port 0x61). Under TCG and this
// machine's KVM neither CPUID 0x15 nor 0x16 is reliable, the PIT always is.
#include "arch/x86_64/tsc.hpp"

#include "arch/x86_64/cpu.hpp"

namespace warden::arch {
namespace {

constexpr uint64_t kPitHz = 1193182;  // 8254 input clock
constexpr uint16_t kPitChannel2 = 0x42, kPitCommand = 0x43, kPortB = 0x61;
constexpr uint8_t kCh2LoHiMode0 = 0xb0;  // channel 2, lo/hi byte, mode 0, binary
constexpr uint8_t kGate2 = 0x01, kSpeaker = 0x02, kOut2 = 0x20;
constexpr uint64_t kWindowUs = 2000;  // long enough for <1% error under KVM port I/O cost
constexpr uint16_t kWindowTicks = kPitHz * kWindowUs / 1'000'000;

uint64_t rate_hz = 0;

}  // namespace

uint64_t calibrate_tsc() {
    outb(kPortB, static_cast<uint8_t>((inb(kPortB) & ~kSpeaker) | kGate2));
    outb(kPitCommand, kCh2LoHiMode0);
    outb(kPitChannel2, kWindowTicks & 0xff);
    const uint64_t start = rdtsc();
    outb(kPitChannel2, kWindowTicks >> 8);  // counting starts with the high byte
    while (!(inb(kPortB) & kOut2)) pause();
    const uint64_t cycles = rdtsc() - start;
    rate_hz = cycles * 1'000'000 / kWindowUs;
    return rate_hz;
}

uint64_t tsc_hz() { return rate_hz; }

uint64_t tsc_delta_us(uint64_t from, uint64_t to) {
    if (rate_hz == 0 || to < from) return 0;
    const uint64_t delta = to - from;
    // Split so that the multiplication cannot overflow for any uptime.
    return delta / rate_hz * 1'000'000 + delta % rate_hz * 1'000'000 / rate_hz;
}

bool wait_until(const std::atomic<bool>& flag, bool value, uint64_t timeout_us) {
    const uint64_t start = rdtsc();
    while (flag.load(std::memory_order_acquire) != value) {
        if (tsc_delta_us(start, rdtsc()) > timeout_us) return false;
        pause();
    }
    return true;
}

}  // namespace warden::arch
