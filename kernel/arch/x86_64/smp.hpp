// Cross-CPU calls and the kernel-half TLB shootdown (the APs are started by
// kernel/smp, through the trampoline or the platform).
#pragma once

#include <span>

#include "warden/addr.hpp"
#include "warden/result.hpp"
#include "warden/spinlock.hpp"

namespace warden::arch::smp {

// Phys page the trampoline is copied to (below 1 MiB, kept out of the
// frame allocator with the rest of the low megabyte).
inline constexpr uint64_t kTrampolinePhys = 0x8000;

// BSP: installs the IPI handlers (smp::init, before the APs start).
void init_ipis();

// Runs fn(arg) on CPU `index` (interrupt context there) and waits for it.
// kBusy if the CPU is not online, kOutOfRange if it does not answer.
Result<void> call_on(unsigned index, void (*fn)(void*), void* arg);

// Invalidates va on every other online CPU and waits until all have.
void shootdown(VirtAddr va);
// The same, only on the CPUs for which needs(index) says so (a user address
// is cached only where a task with that address space runs: a CR3 load
// flushes it everywhere else).
void shootdown_where(VirtAddr va, bool (*needs)(unsigned cpu));

// Holds a lock whose holder may shoot down TLBs while this CPU waits with
// interrupts off: it answers the shootdowns aimed at it while it spins, so
// the holder is never left waiting for it (a LockGuard would deadlock).
class [[nodiscard]] ShootdownSafeGuard {
public:
    explicit ShootdownSafeGuard(SpinLock& lock);
    ~ShootdownSafeGuard() { lock_.unlock(); }
    ShootdownSafeGuard(const ShootdownSafeGuard&) = delete;
    ShootdownSafeGuard& operator=(const ShootdownSafeGuard&) = delete;

private:
    SpinLock& lock_;
};

}  // namespace warden::arch::smp
