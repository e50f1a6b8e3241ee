// Multiprocessor support on the native platform: starting the APs through
// the trampoline, cross-CPU calls, and the kernel-half TLB shootdown.
#pragma once

#include <span>

#include "warden/addr.hpp"
#include "warden/result.hpp"

namespace warden::arch::smp {

// Phys page the trampoline is copied to (below 1 MiB, kept out of the
// frame allocator with the rest of the low megabyte).
inline constexpr uint64_t kTrampolinePhys = 0x8000;

// BSP: installs the IPI handlers and the shootdown hook. Call before start_aps.
void init();

// Starts every APIC ID in apic_ids other than the BSP's, one at a time, each
// with its own stacks, GDT, TSS and per-CPU area. Waits up to timeout_ms for
// each; names any that did not come up. Returns how many came online.
unsigned start_aps(std::span<const uint32_t> apic_ids, uint64_t timeout_ms);

// Runs fn(arg) on CPU `index` (interrupt context there) and waits for it.
// kBusy if the CPU is not online, kOutOfRange if it does not answer.
Result<void> call_on(unsigned index, void (*fn)(void*), void* arg);

// Invalidates va on every other online CPU and waits until all have.
void shootdown(VirtAddr va);
// The same, only on the CPUs for which needs(index) says so (a user address
// is cached only where a task with that address space runs: a CR3 load
// flushes it everywhere else).
void shootdown_where(VirtAddr va, bool (*needs)(unsigned cpu));

}  // namespace warden::arch::smp
