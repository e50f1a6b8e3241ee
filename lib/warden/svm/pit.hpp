// The VM's 8254 programmable interval timer (Intel 82C54 data sheet,
// 231244) as a register model: ports 0x40-0x43 and the PIT bits of port
// 0x61 (QEMU hw/audio/pcspk.c). Time is the caller's, in PIT clocks at
// 1.193182 MHz (pit_ticks); the model derives each channel's counter and
// OUT from the time its count was loaded, as QEMU's hw/timer/i8254.c does.
// Modelled: modes 0 (one-shot), 2 (rate) and 3 (square wave) with their
// counters and OUT; modes 1, 4, 5 are kept as written and count as mode 0
// (no guest here uses them); binary counts only (a BCD count is taken as
// binary); latch and read-back commands; channel 2's gate from port 0x61.
#pragma once

#include <array>
#include <cstdint>

namespace warden::svm {

inline constexpr uint64_t kPitHz = 1'193'182;
inline constexpr uint16_t kPitChannel0 = 0x40, kPitCommand = 0x43, kPortB = 0x61;
inline constexpr uint32_t kPitMaxCount = 0x10000;  // a count of 0 is 65536 (binary)
// Port 0x61 (QEMU pcspk.c): bit 0 gate 2, bit 1 speaker data, bit 4 the
// refresh toggle, bit 5 OUT2.
inline constexpr uint8_t kPortBGate2 = 0x01, kPortBSpeaker = 0x02, kPortBRefresh = 0x10, kPortBOut2 = 0x20;

// PIT clocks in `tsc_ticks` at `tsc_hz` (0 when the rate is unknown).
uint64_t pit_ticks(uint64_t tsc_ticks, uint64_t tsc_hz);

struct PitChannel {
    uint8_t mode = 3;    // QEMU's pit_reset: mode 3, count 65536, from time 0
    uint8_t access = 3;  // RW bits of the control word: 1 low byte, 2 high byte, 3 low then high
    bool bcd = false;
    uint32_t count = kPitMaxCount;  // 1 .. 65536
    uint64_t loaded_at = 0;         // PIT time the count took effect
    bool counting = true;
    bool null_count = false;       // status bit 6: a count written, not yet loaded
    bool write_high_next = false;  // access 3: the low byte is written, the high one is due
    uint8_t write_low = 0;
    bool read_high_next = false;  // access 3, live reads
    bool count_latched = false;
    uint16_t latch = 0;
    uint8_t latch_bytes_left = 0;  // access 3: 2 then 1; access 1/2: 1
    bool status_latched = false;
    uint8_t status = 0;
    bool gate = true;
    uint64_t edges_taken = 0;  // OUT rising edges since the load already reported
};

// What a write did that the caller reports.
struct PitWrite {
    bool loaded = false;  // a channel's count took effect
    unsigned channel = 0;
};

class Pit {
public:
    Pit();
    // Ports 0x40-0x43 (1 byte each; other ports are not the PIT's).
    uint8_t read(uint16_t port, uint64_t now);
    PitWrite write(uint16_t port, uint8_t value, uint64_t now);
    // Port 0x61's PIT bits.
    uint8_t read_port_b(uint64_t now) const;
    void write_port_b(uint8_t value, uint64_t now);

    // OUT0's rising edges since the last call (IRQ0 of the 8259: edge
    // triggered, so the caller raises one edge however many came).
    uint64_t take_irq0_edges(uint64_t now);
    // The PIT time of OUT0's next rising edge, or ~0 when none will come.
    uint64_t next_irq0_edge(uint64_t now) const;

    const PitChannel& channel(unsigned i) const { return ch_[i]; }
    bool out(unsigned i, uint64_t now) const;
    uint16_t counter(unsigned i, uint64_t now) const;

private:
    void control(uint8_t value, uint64_t now);
    void load(unsigned i, uint32_t count, uint64_t now);
    uint64_t edges(const PitChannel& c, uint64_t now) const;

    std::array<PitChannel, 3> ch_{};
    bool speaker_ = false;
};

}  // namespace warden::svm
