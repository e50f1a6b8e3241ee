#include <doctest/doctest.h>

#include "warden/svm/pit.hpp"

using namespace warden::svm;

// From the sources, not the model: the 82C54 data sheet (231244; ports
// 0x40-0x43 on the PC, the 1.193182 MHz input clock), QEMU hw/audio/pcspk.c
// (port 0x61: gate 2 bit 0, speaker bit 1, refresh bit 4, OUT2 bit 5).
TEST_CASE("svm pit: constants") {
    CHECK(kPitHz == 1193182);
    CHECK(kPitChannel0 == 0x40);
    CHECK(kPitCommand == 0x43);
    CHECK(kPortB == 0x61);
    CHECK(kPitMaxCount == 65536);
    CHECK(kPortBGate2 == 0x01);
    CHECK(kPortBSpeaker == 0x02);
    CHECK(kPortBRefresh == 0x10);
    CHECK(kPortBOut2 == 0x20);
}

TEST_CASE("svm pit: PIT clocks from the TSC") {
    CHECK(pit_ticks(3'000'000'000, 3'000'000'000) == kPitHz);
    CHECK(pit_ticks(7, 0) == 0);
    const uint64_t day = uint64_t{5'000'000'000} * 86400;
    CHECK(pit_ticks(day, 5'000'000'000) == kPitHz * 86400);
}

// edk2's 8254TimerDxe (OvmfPkg): control word 0x36 (channel 0, low then
// high byte, mode 3), then the count for its 10 ms period, 11932.
TEST_CASE("svm pit: channel 0 in mode 3 as edk2's 8254TimerDxe programs it raises IRQ0 once a period") {
    Pit pit;
    pit.write(kPitCommand, 0x36, 100);
    CHECK(pit.take_irq0_edges(1000) == 0);  // stopped by the control word
    CHECK_FALSE(pit.write(kPitChannel0, 11932 & 0xff, 100).loaded);
    const PitWrite w = pit.write(kPitChannel0, 11932 >> 8, 200);
    CHECK(w.loaded);
    CHECK(w.channel == 0);
    CHECK(pit.channel(0).mode == 3);
    CHECK(pit.channel(0).count == 11932);
    CHECK(pit.take_irq0_edges(200 + 11931) == 0);
    CHECK(pit.take_irq0_edges(200 + 11932) == 1);
    CHECK(pit.take_irq0_edges(200 + 11932) == 0);  // taken once
    CHECK(pit.take_irq0_edges(200 + 5 * 11932 + 3) == 4);
    CHECK(pit.next_irq0_edge(200 + 5 * 11932 + 3) == 200 + 6 * 11932);
    // Square wave: high for the first half of each period.
    CHECK(pit.out(0, 200 + 10));
    CHECK_FALSE(pit.out(0, 200 + 6000));
    CHECK(pit.counter(0, 200) == 11932);
    CHECK(pit.counter(0, 201) == 11930);  // mode 3 counts down by two
}

TEST_CASE("svm pit: mode 2 pulses OUT low for one clock before each reload") {
    Pit pit;
    pit.write(kPitCommand, 0x34, 0);  // channel 0, low/high, mode 2
    pit.write(kPitChannel0, 100, 0);
    pit.write(kPitChannel0, 0, 0);
    CHECK(pit.out(0, 0));
    CHECK_FALSE(pit.out(0, 99));
    CHECK(pit.out(0, 100));
    CHECK(pit.counter(0, 30) == 70);
    CHECK(pit.take_irq0_edges(350) == 3);
}

TEST_CASE("svm pit: mode 0 is one-shot and the counter wraps on") {
    Pit pit;
    pit.write(kPitCommand, 0x30, 0);
    CHECK_FALSE(pit.out(0, 5));  // low from the control word
    pit.write(kPitChannel0, 10, 0);
    pit.write(kPitChannel0, 0, 0);
    CHECK_FALSE(pit.out(0, 9));
    CHECK(pit.out(0, 10));
    CHECK(pit.counter(0, 12) == 0xfffe);
    CHECK(pit.take_irq0_edges(1'000'000) == 1);
    CHECK(pit.take_irq0_edges(2'000'000) == 0);
    CHECK(pit.next_irq0_edge(2'000'000) == ~uint64_t{0});
}

TEST_CASE("svm pit: a count of 0 is 65536") {
    Pit pit;
    pit.write(kPitCommand, 0x34, 0);
    pit.write(kPitChannel0, 0, 0);
    pit.write(kPitChannel0, 0, 0);
    CHECK(pit.channel(0).count == 65536);
    CHECK(pit.take_irq0_edges(65535) == 0);
    CHECK(pit.take_irq0_edges(65536) == 1);
    pit.write(kPitCommand, 0x14, 0);  // low byte only, mode 2
    pit.write(kPitChannel0, 0, 0);
    CHECK(pit.channel(0).count == 65536);
}

TEST_CASE("svm pit: the counter latch holds the count until both bytes are read") {
    Pit pit;
    pit.write(kPitCommand, 0x34, 0);
    pit.write(kPitChannel0, 0x34, 0);
    pit.write(kPitChannel0, 0x12, 0);  // 0x1234
    pit.write(kPitCommand, 0x00, 0x10);
    pit.write(kPitCommand, 0x00, 0x20);  // a second latch while one is held: ignored
    CHECK(pit.read(kPitChannel0, 0x500) == 0x24);
    CHECK(pit.read(kPitChannel0, 0x500) == 0x12);
    // Live reads again, low then high.
    CHECK(pit.read(kPitChannel0, 0x34) == 0x00);
    CHECK(pit.read(kPitChannel0, 0x34) == 0x12);
}

TEST_CASE("svm pit: read-back latches status and count") {
    Pit pit;
    pit.write(kPitCommand, 0xb0, 0);  // channel 2, low/high, mode 0
    pit.write_port_b(kPortBGate2, 0);
    pit.write(kPitChannel0 + 2, 0x10, 0);
    // Read-back of the status of channel 2 (bit 3).
    pit.write(kPitCommand, 0xe8, 4);
    const uint8_t status = pit.read(kPitChannel0 + 2, 4);
    CHECK((status & 0x40) != 0);  // null count: the high byte is still due
    CHECK((status & 0x3f) == 0x30);
    pit.write(kPitChannel0 + 2, 0x00, 10);
    pit.write(kPitCommand, 0xe8, 12);  // status only
    CHECK(pit.read(kPitChannel0 + 2, 12) == 0x30);
    pit.write(kPitCommand, 0xd8, 12);  // count only
    CHECK(pit.read(kPitChannel0 + 2, 100) == 0x0e);
    CHECK(pit.read(kPitChannel0 + 2, 100) == 0x00);
    // Status and count together: the status byte first, then the count.
    pit.write(kPitCommand, 0xc8, 14);
    CHECK((pit.read(kPitChannel0 + 2, 50) & 0x3f) == 0x30);
    CHECK(pit.read(kPitChannel0 + 2, 50) == 0x0c);
    CHECK(pit.read(kPitChannel0 + 2, 50) == 0x00);
}

TEST_CASE("svm pit: read-back of a channel never programmed reads QEMU's reset state") {
    Pit pit;
    pit.write(kPitCommand, 0xe2, 0);                    // status of channel 0
    CHECK((pit.read(kPitChannel0, 0) & 0x3f) == 0x36);  // low/high, mode 3, binary
    CHECK(pit.read(kPitCommand, 0) == 0xff);
}

// Warden's kernel and the harness guest time a gate this way
// (snp-host/chipset.cpp one_gate does the same against L1's PIT).
TEST_CASE("svm pit: channel 2 in mode 0 sets OUT2 in port 0x61 when the count runs out") {
    Pit pit;
    pit.write_port_b(kPortBGate2 | kPortBSpeaker, 0);
    pit.write_port_b(kPortBGate2, 0);
    pit.write(kPitCommand, 0xb0, 0);
    pit.write(kPitChannel0 + 2, 11932 & 0xff, 0);
    pit.write(kPitChannel0 + 2, 11932 >> 8, 50);
    CHECK((pit.read_port_b(50 + 11931) & kPortBOut2) == 0);
    CHECK((pit.read_port_b(50 + 11932) & kPortBOut2) != 0);
    CHECK((pit.read_port_b(50) & kPortBGate2) != 0);
    CHECK((pit.read_port_b(50) & kPortBSpeaker) == 0);
    CHECK(pit.take_irq0_edges(1'000'000) > 0);  // channel 0 still runs from reset, as QEMU's
}

TEST_CASE("svm pit: channel 2 does not count with its gate low") {
    Pit pit;
    pit.write(kPitCommand, 0xb0, 0);
    pit.write(kPitChannel0 + 2, 10, 0);
    pit.write(kPitChannel0 + 2, 0, 0);
    CHECK((pit.read_port_b(100) & kPortBOut2) == 0);
    pit.write_port_b(kPortBGate2, 100);  // the rising gate starts it
    CHECK((pit.read_port_b(109) & kPortBOut2) == 0);
    CHECK((pit.read_port_b(110) & kPortBOut2) != 0);
}

// Found by svm_pit_pic_fuzz: a latch held across a new control word kept
// its byte count.
TEST_CASE("svm pit: a control word drops a held latch") {
    Pit pit;
    pit.write(kPitCommand, 0x34, 0);
    pit.write(kPitChannel0, 0x34, 0);
    pit.write(kPitChannel0, 0x12, 0);
    pit.write(kPitCommand, 0x00, 0);
    CHECK(pit.channel(0).latch_bytes_left == 2);
    pit.write(kPitCommand, 0x14, 0);  // low byte only, mode 2
    CHECK_FALSE(pit.channel(0).count_latched);
    CHECK(pit.channel(0).latch_bytes_left == 0);
    pit.write(kPitChannel0, 0x20, 10);
    CHECK(pit.read(kPitChannel0, 15) == 0x1b);  // live: 0x20 - 5
}
