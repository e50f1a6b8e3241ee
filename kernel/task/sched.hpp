// The scheduler: one run queue per CPU, round robin on the APIC tick, idle
// with HLT. Tasks are pinned to the CPU they were created for; waking one on
// another CPU sends that CPU an IPI. The kernel itself is not preemptible:
// it runs with interrupts off and switches only in the calls below.
#pragma once

#include "task/task.hpp"

namespace warden::task::sched {

// Per CPU, once: makes the CPU's current (boot) context its idle task.
void init_this_cpu();
void init_ipis();

// A new task's x87/SSE state: the init state (FCW 0x37f, MXCSR 0x1f80), FS.base 0.
void init_vector_state(Task& t);
// kSetFsBase: the current task's FS.base, loaded now and at every switch to it.
void set_fs_base(uint64_t base);

// Queues a ready task on its CPU (IPI if that CPU is not this one).
void make_ready(Task& t);

Task& current();

// Gives up the CPU if another task is ready; returns when this one runs again.
void yield();
// Blocks the current task until wake() (or the timeout, in ticks; 0 = none).
// Returns kTimedOut if the timeout ended the wait.
Result<void> block(uint64_t timeout_ticks);
// Makes a blocked task ready again (no-op otherwise).
void wake(Task& t);
// Ends the current task (exit or fault); never returns.
[[noreturn]] void finish_current(State how, int64_t code);
// The exception reporter's hook (arch::FaultHooks): the running task
// faulted at address (CR2 for #PF, else RIP); it is stopped, reported, and
// the kernel and the other tasks go on (docs/tasks.md).
[[noreturn]] void stop_faulted(unsigned vector, uint64_t address, std::string_view report);

// Timer tick on this CPU: expires timeouts and preempts a running task
// (only when the tick interrupted CPL3: the kernel is not preemptible).
void on_tick(bool from_user);

// The idle loop: run whatever is ready, else halt until an interrupt.
[[noreturn]] void idle_loop();
// From the idle context of this CPU: let ready tasks run until pred() holds
// or timeout_us passes (boot tests use it to wait for tasks).
bool run_until(bool (*pred)(void*), void* arg, uint64_t timeout_us);

}  // namespace warden::task::sched
