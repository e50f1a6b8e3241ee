// Per-CPU round-robin scheduling. One lock guards every run queue and task
// state; it is dropped before a context switch, which is safe because a task
// only ever runs on its own CPU, so no other CPU can resume it meanwhile.
#include "task/sched.hpp"

#include <array>
#include <cstring>

#include "task/boot_tasks.hpp"
#include "task/queue.hpp"

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/idt.hpp"
#include "arch/x86_64/percpu.hpp"
#include "arch/x86_64/tsc.hpp"
#include "log.hpp"
#include "mm/address_space.hpp"
#include "panic.hpp"
#include "platform/platform.hpp"
#include "task/task_log.hpp"
#include "warden/spinlock.hpp"
#include "warden/timeout.hpp"

extern "C" void switch_context(uint64_t* save_rsp, uint64_t next_rsp);

namespace warden::task::sched {
namespace {

constexpr uint8_t kReschedVector = 0xf2;

struct CpuSched {
    IntrusiveList<Task, &Task::run_node> ready;
    IntrusiveList<Task, &Task::wait_node> timed;  // blocked with a timeout
    Task* current = nullptr;
    Task idle;
    bool vector_off = true;  // CR0.TS as last written (init_this_cpu sets it)
    uint64_t fs_base = 0;    // FS.base as last written
};

using arch::kMsrFsBase;
constexpr uint64_t kCr0Mp = 1u << 1, kCr0Em = 1u << 2, kCr0Ts = 1u << 3;
constexpr uint64_t kCr4Osfxsr = 1u << 9, kCr4Osxmmexcpt = 1u << 10;

// The x87/SSE init state in FXSAVE64 layout: FCW 0x37f (after FNINIT) at 0,
// MXCSR 0x1f80 (every SIMD exception masked) at 24, the rest zero.
constexpr std::array<uint8_t, 512> make_init_vector() {
    std::array<uint8_t, 512> a{};
    a[0] = 0x7f, a[1] = 0x03;
    a[24] = 0x80, a[25] = 0x1f;
    return a;
}
alignas(16) constexpr std::array<uint8_t, 512> init_vector = make_init_vector();

// What runs on this CPU next gets its vector state and FS.base. A task
// without kManifestVector runs with CR0.TS set, so its first x87/SSE
// instruction is #NM; and the registers a vector task leaves are reset to
// the init state before one runs, so that even a CPU that ignores TS (this
// machine's kvm_pvm does, docs/tasks.md) shows it nobody's state. CR0 is
// written only when TS changes.
void switch_task_state(CpuSched& cs, Task& prev, Task& next) {
    const bool was_vector = !prev.idle && (prev.flags & abi::kManifestVector);
    const bool vector = !next.idle && (next.flags & abi::kManifestVector);
    if (was_vector) arch::fxsave(prev.vector_state);
    if (vector && cs.vector_off) arch::clts();
    if (vector) arch::fxrstor(next.vector_state);
    if (!vector && was_vector) arch::fxrstor(init_vector.data());  // TS is still clear here
    if (!vector && !cs.vector_off) arch::write_cr0(arch::read_cr0() | kCr0Ts);
    cs.vector_off = !vector;
    const uint64_t fs = next.idle ? 0 : next.fs_base;
    if (fs != cs.fs_base) {
        arch::wrmsr(kMsrFsBase, fs);
        cs.fs_base = fs;
    }
}

CpuSched per_cpu[arch::kMaxCpus];
SpinLock lock;

CpuSched& mine() { return per_cpu[arch::this_cpu().index]; }

// Switches to `next` (lock not held). prev has been given its new state.
void switch_to(CpuSched& cs, Task& prev, Task& next) {
    if (&prev == &next) return;
    cs.current = &next;
    next.state = State::kRunning;
    arch::PerCpu& c = arch::this_cpu();
    c.task = next.name;
    c.task_flags.store(next.idle ? 0 : next.flags, std::memory_order_seq_cst);
    if (!next.idle) {
        c.kernel_rsp = next.kernel_stack.top.raw();
        c.tables.tss.rsp[0] = c.kernel_rsp;
    }
    const uint64_t cr3 =
        (next.idle ? mm::kernel_mapper().root().raw() : next.pml4.raw()) | platform::current().encryption_mask();
    if (arch::read_cr3() != cr3) arch::write_cr3(cr3);
    switch_task_state(cs, prev, next);
    switch_context(&prev.saved_rsp, next.saved_rsp);
}

// Picks what runs next; `requeue` puts a still-runnable prev back in line.
void schedule(bool requeue) {
    CpuSched& cs = mine();
    Task& prev = *cs.current;
    Task* next;
    {
        LockGuard guard(lock);
        if (requeue && !prev.idle) {
            prev.state = State::kReady;
            (void)cs.ready.push_back(prev);
        }
        next = cs.ready.pop_front();
        if (next == nullptr) next = prev.state == State::kRunning || (requeue && !prev.idle) ? &prev : &cs.idle;
        if (next == &prev && !prev.idle && prev.run_node.linked()) IntrusiveList<Task, &Task::run_node>::remove(prev);
    }
    if (next == &prev) {
        prev.state = State::kRunning;
        return;
    }
    switch_to(cs, prev, *next);
}

void on_resched(arch::InterruptFrame&) {}  // the interrupt itself ends the idle HLT

void on_timer(arch::InterruptFrame& f) {
    arch::this_cpu().ticks.fetch_add(1, std::memory_order_relaxed);
    on_tick((f.cs & 3) == 3);
}

}  // namespace

void init_this_cpu() {
    CpuSched& cs = mine();
    // SSE usable (FXSAVE/FXRSTOR, SIMD exceptions as #XM), but off (TS)
    // until a kManifestVector task runs; FS.base 0 until one sets it.
    arch::write_cr4(arch::read_cr4() | kCr4Osfxsr | kCr4Osxmmexcpt);
    arch::write_cr0(((arch::read_cr0() | kCr0Mp) & ~kCr0Em) | kCr0Ts);
    arch::wrmsr(kMsrFsBase, 0);
    cs.vector_off = true;
    cs.fs_base = 0;
    cs.idle.idle = true;
    cs.idle.state = State::kRunning;
    cs.idle.cpu = arch::this_cpu().index;
    for (size_t i = 0; i < sizeof cs.idle.name - 1 && "idle"[i]; ++i) cs.idle.name[i] = "idle"[i];
    cs.current = &cs.idle;
}

void init_ipis() {
    arch::set_handler(kReschedVector, on_resched);
    arch::set_handler(arch::apic::kTimerVector, on_timer);
}

Task& current() { return *mine().current; }

void init_vector_state(Task& t) {
    std::memcpy(t.vector_state, init_vector.data(), sizeof t.vector_state);
    t.fs_base = 0;
}

void set_fs_base(uint64_t base) {
    CpuSched& cs = mine();
    cs.current->fs_base = base;
    arch::wrmsr(kMsrFsBase, base);
    cs.fs_base = base;
}

void make_ready(Task& t) {
    {
        LockGuard guard(lock);
        t.state = State::kReady;
        (void)per_cpu[t.cpu].ready.push_back(t);
    }
    if (t.cpu != arch::this_cpu().index) arch::apic::send_fixed(arch::cpu(t.cpu).apic_id, kReschedVector);
}

void yield() { schedule(true); }

Result<void> block(uint64_t timeout_ticks) {
    CpuSched& cs = mine();
    Task& t = *cs.current;
    {
        LockGuard guard(lock);
        if (t.woken) {  // the wake-up came first
            t.woken = false;
            return {};
        }
        t.state = State::kBlocked;
        t.wake_error = Error{};
        t.wake_tick = 0;
        if (timeout_ticks != 0) {
            t.wake_tick = timeout::deadline(arch::this_cpu().ticks.load(), timeout_ticks);
            (void)cs.timed.push_back(t);
        }
    }
    schedule(false);
    t.woken = false;
    if (t.wake_error == Error::kTimedOut) return Fail(Error::kTimedOut);
    return {};
}

void wake(Task& t) {
    bool ipi = false;
    {
        LockGuard guard(lock);
        if (t.state != State::kBlocked) {
            t.woken = true;
            return;
        }
        if (t.wait_node.linked()) IntrusiveList<Task, &Task::wait_node>::remove(t);
        t.state = State::kReady;
        (void)per_cpu[t.cpu].ready.push_back(t);
        ipi = t.cpu != arch::this_cpu().index;
    }
    if (ipi) arch::apic::send_fixed(arch::cpu(t.cpu).apic_id, kReschedVector);
}

void finish_current(State how, int64_t code) {
    Task& t = current();
    ipc_task_ended(t);  // its callers learn it now, not at their timeout
    {
        LockGuard guard(lock);
        t.state = how;
        t.exit_code = code;
    }
    // Off its tables onto the kernel's (which the idle context uses too),
    // then its memory goes back. This still runs on its kernel stack, which
    // stays (release_task_memory says why).
    arch::write_cr3(mm::kernel_mapper().root().raw() | platform::current().encryption_mask());
    release_task_memory(t);
    (void)restart_task(t);  // kManifestRestartable only: after the release, so it can reuse the frames
    schedule(false);
    panic("task {} ran after it finished", t.name);
}

void stop_faulted(unsigned vector, uint64_t address, std::string_view report) {
    Task& t = current();
    t.fault_vector = vector;
    t.fault_address = address;
    log::warn("task {} stopped: {}", t.name, report);
    report_log_drops(t);
    finish_current(State::kFaulted, -static_cast<int64_t>(vector));
}

void on_tick(bool from_user) {
    CpuSched& cs = mine();
    const uint64_t now = arch::this_cpu().ticks.load();
    bool any_ready;
    {
        LockGuard guard(lock);
        for (auto it = cs.timed.begin(); it != cs.timed.end();) {
            Task& t = *it;
            ++it;
            if (t.wake_tick > now) continue;
            IntrusiveList<Task, &Task::wait_node>::remove(t);
            t.wake_error = Error::kTimedOut;
            t.state = State::kReady;
            (void)cs.ready.push_back(t);
        }
        any_ready = !cs.ready.empty();
    }
    if (from_user && any_ready) schedule(true);
}

void idle_loop() {
    for (;;) {
        arch::cli();
        schedule(false);
        arch::sti_hlt();
    }
}

bool run_until(bool (*pred)(void*), void* arg, uint64_t timeout_us) {
    const uint64_t start = arch::rdtsc();
    for (;;) {
        arch::cli();
        schedule(false);
        if (pred(arg)) return true;
        if (arch::tsc_delta_us(start, arch::rdtsc()) > timeout_us) return false;
        arch::sti_hlt();
    }
}

}  // namespace warden::task::sched
