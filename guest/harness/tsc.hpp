// The harness bench's clock: the TSC, its rate measured against the 8254 PIT
// (tsc.cpp), as Warden's kernel measures its own (kernel/arch/x86_64/tsc.cpp).
#pragma once

#include <cstdint>

namespace harness {

inline constexpr uint64_t kTscGateUs = 50'000;  // the PIT window: 50 ms
inline constexpr unsigned kTscGates = 5;

struct TscRate {
    uint64_t hz = 0;                   // the lowest of the gates' rates: the one used
    uint64_t lowest = 0, highest = 0;  // over the kTscGates gates, Hz
};

// TSC ticks per second over kTscGates windows of kTscGateUs on PIT channel
// 2. Each port access is a #VC the host serves with QEMU's PIT (snp-host
// port_io.cpp passes ports 0x42, 0x43 and 0x61 through). Whatever delays the
// guest at a gate's edges (its exits; QEMU's thread descheduled on a loaded
// machine) only lengthens the gate in TSC ticks, never shortens it, so the
// lowest rate is the closest.
TscRate calibrate_tsc();

// Microseconds in `ticks` at `hz`; `count` events in `ticks` per second.
uint64_t ticks_to_us(uint64_t ticks, uint64_t hz);
uint64_t per_second(uint64_t count, uint64_t ticks, uint64_t hz);

}  // namespace harness
