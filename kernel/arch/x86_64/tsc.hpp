// The time-stamp counter as the kernel's clock: calibrated once against the
// PIT, then converted to microseconds.
#pragma once

#include <atomic>
#include <cstdint>

namespace warden::arch {

// Measures the TSC rate with PIT channel-2 one-shots (tsc.cpp: 15 ms) and remembers it.
// Returns the rate in Hz.
uint64_t calibrate_tsc();

// The calibrated rate (0 before calibrate_tsc).
uint64_t tsc_hz();

// Microseconds between two TSC readings, at the calibrated rate.
uint64_t tsc_delta_us(uint64_t from, uint64_t to);

// Spins until flag reads value (acquire) or timeout_us pass; false on timeout.
bool wait_until(const std::atomic<bool>& flag, bool value, uint64_t timeout_us);

}  // namespace warden::arch
