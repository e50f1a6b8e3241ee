// The 8254 PIT's channel 2 as a stopwatch for the TSC: mode 0, whose OUT2
// (port 0x61 bit 5) rises when the count reaches zero (Intel 8254 data
// sheet). The one sequence the three bare-metal images calibrate their TSC
// with -- Warden's kernel (kernel/arch/x86_64/tsc.cpp), the harness guest
// (guest/harness/tsc.cpp) and the emulated SNP host (snp-host/chipset.cpp)
// -- each choosing its own gates and how to combine them.
#pragma once

#include <cstdint>

#include "baremetal/x86_insn.hpp"

namespace baremetal::pit {

inline constexpr uint64_t kHz = 1'193'182;  // the 8254's input clock

// TSC cycles from the start of a count of `ticks` to the read that sees it
// end: the write of the count's high byte starts it, so the cycles include
// that write's return and the last read of port 0x61.
inline uint64_t one_shot_cycles(uint16_t ticks) {
    constexpr uint16_t kChannel2 = 0x42, kCommand = 0x43, kPortB = 0x61;
    constexpr uint8_t kCh2LoHiMode0 = 0xb0;  // channel 2, low then high byte, mode 0, binary
    constexpr uint8_t kGate2 = 0x01, kSpeaker = 0x02, kOut2 = 0x20;
    outb(kPortB, static_cast<uint8_t>((inb(kPortB) & ~kSpeaker) | kGate2));
    outb(kCommand, kCh2LoHiMode0);
    outb(kChannel2, static_cast<uint8_t>(ticks & 0xff));
    const uint64_t start = rdtsc();
    outb(kChannel2, static_cast<uint8_t>(ticks >> 8));  // counting starts with the high byte
    while (!(inb(kPortB) & kOut2)) asm volatile("pause");
    return rdtsc() - start;
}

}  // namespace baremetal::pit
