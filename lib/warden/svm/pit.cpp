// The VM's 8254 (pit.hpp): counters and OUT derived from the load time.
#include "warden/svm/pit.hpp"

namespace warden::svm {
namespace {

constexpr uint8_t kReadBack = 3, kLatchAccess = 0;                    // control word: SC bits 7:6 = 3, RW bits 5:4 = 0
constexpr uint8_t kReadBackNoCount = 0x20, kReadBackNoStatus = 0x10;  // active low (82C54 "Read-Back Command")

uint64_t elapsed(const PitChannel& c, uint64_t now) { return now > c.loaded_at ? now - c.loaded_at : 0; }

}  // namespace

uint64_t pit_ticks(uint64_t tsc_ticks, uint64_t tsc_hz) {
    if (tsc_hz == 0) return 0;
    // Split as acpi_pm's pm_timer_ticks: kPitHz < 2^21, the remainder below tsc_hz.
    return tsc_ticks / tsc_hz * kPitHz + tsc_ticks % tsc_hz * kPitHz / tsc_hz;
}

Pit::Pit() { ch_[2].gate = false; }  // QEMU's pit_reset: gate 2 low until port 0x61 raises it

// Modes 2 and 3 rise at every multiple of the count after the load (mode 2
// after its one-clock low pulse, mode 3 at the start of each high half);
// the one-shot modes once, when the count runs out.
uint64_t Pit::edges(const PitChannel& c, uint64_t now) const {
    if (!c.counting || !c.gate) return 0;
    const uint64_t d = elapsed(c, now);
    if (c.mode == 2 || c.mode == 3) return d / c.count;
    return d >= c.count ? 1 : 0;
}

bool Pit::out(unsigned i, uint64_t now) const {
    const PitChannel& c = ch_[i];
    if (!c.counting) return c.mode != 0;  // mode 0: low from the control word; others high
    if (!c.gate) return c.mode != 0;      // gate 2 low: the count held (a simplification: see pit.hpp)
    const uint64_t d = elapsed(c, now);
    switch (c.mode) {
    case 2: return d % c.count != c.count - 1;       // low for the clock before the reload
    case 3: return d % c.count < (c.count + 1) / 2;  // high for the first half (odd counts: the longer)
    default: return d >= c.count;                    // 0 and the others: high once the count runs out
    }
}

uint16_t Pit::counter(unsigned i, uint64_t now) const {
    const PitChannel& c = ch_[i];
    if (!c.counting || !c.gate) return static_cast<uint16_t>(c.count);
    const uint64_t d = elapsed(c, now);
    switch (c.mode) {
    case 2: return static_cast<uint16_t>(c.count - d % c.count);
    case 3: return static_cast<uint16_t>((c.count - (2 * d) % c.count) & 0xfffe);  // counts down by two
    default: return static_cast<uint16_t>((c.count - d) & 0xffff);                 // wraps on after zero
    }
}

uint64_t Pit::take_irq0_edges(uint64_t now) {
    PitChannel& c = ch_[0];
    const uint64_t total = edges(c, now);
    const uint64_t fresh = total > c.edges_taken ? total - c.edges_taken : 0;
    c.edges_taken = total;
    return fresh;
}

uint64_t Pit::next_irq0_edge(uint64_t now) const {
    const PitChannel& c = ch_[0];
    if (!c.counting) return ~uint64_t{0};
    const uint64_t done = edges(c, now);
    if (c.mode != 2 && c.mode != 3) return done > 0 ? ~uint64_t{0} : c.loaded_at + c.count;
    return c.loaded_at + (done + 1) * c.count;
}

void Pit::load(unsigned i, uint32_t count, uint64_t now) {
    PitChannel& c = ch_[i];
    c.count = count == 0 ? kPitMaxCount : count;
    c.loaded_at = now;
    c.counting = true;
    c.null_count = false;
    c.edges_taken = 0;
}

void Pit::control(uint8_t value, uint64_t now) {
    const unsigned sc = value >> 6;
    const uint8_t rw = (value >> 4) & 3;
    if (sc == kReadBack) {
        for (unsigned i = 0; i < 3; ++i) {
            if (!(value & (2u << i))) continue;
            PitChannel& c = ch_[i];
            if (!(value & kReadBackNoCount) && !c.count_latched) {
                c.count_latched = true;
                c.latch = counter(i, now);
                c.latch_bytes_left = c.access == 3 ? 2 : 1;
            }
            if (!(value & kReadBackNoStatus) && !c.status_latched) {
                c.status_latched = true;
                c.status = static_cast<uint8_t>((out(i, now) ? 0x80 : 0) | (c.null_count ? 0x40 : 0) | (c.access << 4) |
                                                (c.mode << 1) | (c.bcd ? 1 : 0));
            }
        }
        return;
    }
    PitChannel& c = ch_[sc];
    if (rw == kLatchAccess) {  // counter latch: ignored while one is held (82C54)
        if (!c.count_latched) {
            c.count_latched = true;
            c.latch = counter(sc, now);
            c.latch_bytes_left = c.access == 3 ? 2 : 1;
        }
        return;
    }
    c.access = rw;
    c.mode = static_cast<uint8_t>((value >> 1) & 7);
    if (c.mode >= 6) c.mode -= 4;  // 6 and 7 are modes 2 and 3 (82C54 control word format)
    c.bcd = value & 1;
    c.counting = false;  // a control word stops the channel until its count is written
    c.null_count = true;
    c.write_high_next = c.read_high_next = false;
    c.count_latched = c.status_latched = false;  // a held latch is dropped with its access mode
    c.latch_bytes_left = 0;
}

PitWrite Pit::write(uint16_t port, uint8_t value, uint64_t now) {
    if (port == kPitCommand) {
        control(value, now);
        return {};
    }
    if (port < kPitChannel0 || port > kPitChannel0 + 2) return {};
    const unsigned i = port - kPitChannel0;
    PitChannel& c = ch_[i];
    switch (c.access) {
    case 1: load(i, value, now); break;
    case 2: load(i, uint32_t{value} << 8, now); break;
    default:
        if (!c.write_high_next) {
            c.write_low = value;
            c.write_high_next = true;
            if (c.mode == 0) c.counting = false;  // mode 0: writing the first byte stops the count (82C54)
            c.null_count = true;
            return {};
        }
        c.write_high_next = false;
        load(i, c.write_low | (uint32_t{value} << 8), now);
    }
    return {.loaded = true, .channel = i};
}

uint8_t Pit::read(uint16_t port, uint64_t now) {
    if (port < kPitChannel0 || port > kPitChannel0 + 2) return 0xff;  // 0x43 cannot be read
    const unsigned i = port - kPitChannel0;
    PitChannel& c = ch_[i];
    if (c.status_latched) {
        c.status_latched = false;
        return c.status;
    }
    if (c.count_latched) {
        uint8_t b;
        if (c.access == 3) {
            b = c.latch_bytes_left == 2 ? static_cast<uint8_t>(c.latch) : static_cast<uint8_t>(c.latch >> 8);
        } else {
            b = c.access == 2 ? static_cast<uint8_t>(c.latch >> 8) : static_cast<uint8_t>(c.latch);
        }
        if (--c.latch_bytes_left == 0) c.count_latched = false;
        return b;
    }
    const uint16_t n = counter(i, now);
    if (c.access == 1) return static_cast<uint8_t>(n);
    if (c.access == 2) return static_cast<uint8_t>(n >> 8);
    const bool high = c.read_high_next;
    c.read_high_next = !high;
    return high ? static_cast<uint8_t>(n >> 8) : static_cast<uint8_t>(n);
}

uint8_t Pit::read_port_b(uint64_t now) const {
    // The refresh toggle: QEMU flips it every 2^14 ns (~15 us), ~18 PIT clocks.
    const bool refresh = (now / 18) & 1;
    return static_cast<uint8_t>((ch_[2].gate ? kPortBGate2 : 0) | (speaker_ ? kPortBSpeaker : 0) |
                                (refresh ? kPortBRefresh : 0) | (out(2, now) ? kPortBOut2 : 0));
}

void Pit::write_port_b(uint8_t value, uint64_t now) {
    speaker_ = value & kPortBSpeaker;
    PitChannel& c = ch_[2];
    const bool gate = value & kPortBGate2;
    // A rising gate (re)starts a loaded count (82C54: modes 1, 2, 3, 5
    // trigger on it; mode 0 resumes, taken here as a restart).
    if (gate && !c.gate && !c.null_count) {
        c.loaded_at = now;
        c.edges_taken = 0;
    }
    c.gate = gate;
}

}  // namespace warden::svm
