// TSC calibration with the 8254 PIT's channel 2 (lib/baremetal/pit.hpp).
// Under TCG and this machine's KVM neither CPUID 0x15 nor 0x16 is reliable,
// the PIT always is.
#include "arch/x86_64/tsc.hpp"

#include <utility>

#include "arch/x86_64/cpu.hpp"
#include "baremetal/pit.hpp"

namespace warden::arch {
namespace {

// Two one-shots of different lengths: their difference cancels what both
// pay besides the count itself (the port write that starts it and the port
// read that sees OUT2 rise, each a #VC and a host round trip under SEV-SNP,
// which made a single 2 ms window read 6% fast there). Three pairs, the
// median rate: a pair the host preempted is outvoted. A pair whose long
// one-shot took no longer than its short one (the host preempted the short
// one's end: seen under SEV-SNP on a loaded machine, where two of three
// pairs failed and the median was 0 MHz) is measured again, up to
// kMaxPairs in all.
constexpr uint64_t kShortUs = 1000, kLongUs = 4000;
constexpr int kPairs = 3, kMaxPairs = 12;

uint64_t rate_hz = 0;

// TSC cycles of a one-shot of `us`.
uint64_t one_shot_cycles(uint64_t us) {
    return baremetal::pit::one_shot_cycles(static_cast<uint16_t>(baremetal::pit::kHz * us / 1'000'000));
}

}  // namespace

uint64_t calibrate_tsc() {
    uint64_t rates[kPairs];
    int valid = 0;
    for (int tries = 0; tries < kMaxPairs && valid < kPairs; ++tries) {
        const uint64_t short_cycles = one_shot_cycles(kShortUs), long_cycles = one_shot_cycles(kLongUs);
        if (long_cycles > short_cycles)
            rates[valid++] = (long_cycles - short_cycles) * 1'000'000 / (kLongUs - kShortUs);
    }
    if (valid < kPairs) {  // 0: the caller stops with its reason, nothing waits on a clock that does not run
        rate_hz = 0;
        return 0;
    }
    // Median of three.
    if (rates[0] > rates[1]) std::swap(rates[0], rates[1]);
    if (rates[1] > rates[2]) std::swap(rates[1], rates[2]);
    if (rates[0] > rates[1]) std::swap(rates[0], rates[1]);
    rate_hz = rates[1];
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
