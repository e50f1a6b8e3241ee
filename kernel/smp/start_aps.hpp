// Bringing the application processors up: each with its own stacks, GDT,
// TSS and per-CPU area, the platform's per-CPU setup, and a scheduler.
#pragma once

#include <span>

#include "warden/addr.hpp"

namespace warden::smp {

// BSP: the IPI handlers (cross-CPU calls, shootdown) and the memory
// manager's shootdown hook. Call before start_aps.
void init();

// Starts every APIC ID in apic_ids other than the BSP's, one at a time, each
// with its own stacks, GDT, TSS and per-CPU area. Waits up to timeout_ms for
// each; names any that did not come up. Returns how many came online.
unsigned start_aps(std::span<const uint32_t> apic_ids, uint64_t timeout_ms);

}  // namespace warden::smp
