// The kernel side of the log ring shared with the console service: once a
// console task runs, every kernel and task log line goes into the ring and
// the console writes it out (abi::LogRing). Before that, and for panics, the
// kernel writes to its early console itself.
#pragma once

#include "warden/abi/syscall.hpp"
#include "warden/format.hpp"

namespace warden::task::log_ring {

// Allocates the ring (16 pages, zeroed) and returns its first frame; the
// same frame once it exists (a restarted console maps the same ring and goes
// on from its tail).
Result<PhysAddr> create();
// Routes the kernel log into the ring from now on.
void attach();
bool attached();
// Waits until the console has taken everything (or timeout_us): before the
// kernel ends QEMU, so the last lines reach the screen. What the console did
// not take in time is written to the early console directly.
void flush(uint64_t timeout_us);
// For fatal stops: writes whatever the console has not taken yet straight to
// the early console (no waiting, no locks).
void drain_to_early_console();
// Lines dropped because the ring was full (a kernel line says how many
// before the next line that fits).
uint64_t dropped();

}  // namespace warden::task::log_ring
