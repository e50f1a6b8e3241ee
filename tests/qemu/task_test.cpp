// Boot tests for tasks, system calls, queues and fault containment (issue 6).
// The image embeds the test services of services/tests/; these cases wait for
// them (letting the BSP's tasks run meanwhile) and check what they reported.
#include <string_view>

#include "mm/frames.hpp"
#include "task/log_ring.hpp"
#include "task/queue.hpp"
#include "task/sched.hpp"
#include "task/task.hpp"
#include "test/ktest.hpp"
#include "warden/ipc/system.hpp"

using namespace warden;

namespace {

task::Task* wait_for(const char* name, uint64_t timeout_us) {
    task::Task* t = task::find_task(name);
    if (t != nullptr) (void)task::sched::run_until(task::task_ended, t, timeout_us);
    return t;
}

bool blocked(void* p) { return static_cast<const task::Task*>(p)->state == task::State::kBlocked; }

bool never(void*) { return false; }

}  // namespace

KTEST("syscalls: every error path answers with its error and nothing breaks") {
    task::Task* t = wait_for("syscall-errors", 5'000'000);
    KCHECK(t != nullptr);
    if (t == nullptr) return;
    KCHECK(t->state == task::State::kExited);
    KCHECK(t->exit_code == 0);
}

KTEST("guest calls: the secrets and CPUID pages a loader places refuse every bad target, then read back right") {
    task::Task* t = wait_for("guest-calls", 5'000'000);
    if (!KCHECK(t != nullptr)) return;
    KCHECK(t->state == task::State::kExited);
    KCHECK(t->exit_code == 0);
}

KTEST("tasks: a faulting task is stopped and reported; the others go on") {
    task::Task* f = wait_for("faulter", 5'000'000);
    KCHECK(f != nullptr);
    if (f == nullptr) return;
    KCHECK(f->state == task::State::kFaulted);
    KCHECK(f->fault_vector == 14);
    KCHECK(f->fault_address == 0x10);
    task::Task* ping = wait_for("ping", 10'000'000);  // keeps calling across CPUs after the fault
    KCHECK((ping != nullptr && ping->state == task::State::kExited && ping->exit_code == 0));
    task::Task* console = task::find_task("console");
    KCHECK((console != nullptr && console->state != task::State::kFaulted && console->state != task::State::kExited));
}

KTEST(
    "tasks: two vector tasks on one CPU keep XMM0-15, MXCSR and FS.base across 300 switches; one without the flag "
    "faults (#NM) at its first SSE instruction, or where the CPU ignores CR0.TS sees only the init state") {
    for (const char* name : {"vector-1", "vector-2"}) {
        task::Task* t = wait_for(name, 10'000'000);
        if (!KCHECK(t != nullptr)) return;
        KCHECK(t->state == task::State::kExited);
        KCHECK(t->exit_code == 0);
        KCHECK(t->cpu == 1);
    }
    task::Task* off = wait_for("vector-off", 5'000'000);
    if (!KCHECK(off != nullptr)) return;
    KCHECK((off->state == task::State::kFaulted && off->fault_vector == 7) ||
           (off->state == task::State::kExited && off->exit_code == 0));
}

KTEST("ipc: ping and pong on two CPUs complete every call") {
    task::Task* ping = wait_for("ping", 10'000'000);
    task::Task* pong = task::find_task("pong");
    KCHECK((ping != nullptr && pong != nullptr));
    if (ping == nullptr || pong == nullptr) return;
    KCHECK(ping->cpu != pong->cpu);
    KCHECK(ping->state == task::State::kExited);
    KCHECK(ping->exit_code == 0);
}

KTEST("ipc: a call lends the server its memory until the reply: read, written back, and out of reach after") {
    task::Task* client = wait_for("lend-client", 10'000'000);
    task::Task* server = task::find_task("lend-server");
    if (!KCHECK((client != nullptr && server != nullptr))) return;
    KCHECK(client->cpu != server->cpu);
    KCHECK((client->state == task::State::kExited && client->exit_code == 0));
    KCHECK(server->state != task::State::kFaulted);
}

KTEST("queues: the kernel's share of a queue is kSenderSlots messages, then kBusy; the queue keeps them") {
    KCHECK(task::queued("ktest-full") == 0);
    abi::Message m;
    for (size_t i = 0; i < ipc::kSenderSlots; ++i) {
        m.label = i;
        KCHECK(task::kernel_send("ktest-full", m).ok());
    }
    KCHECK(task::kernel_send("ktest-full", m).error() == Error::kBusy);
    KCHECK(task::queued("ktest-full") == ipc::kSenderSlots);
    KCHECK(task::ipc_broken_invariant() == nullptr);
}

KTEST("ipc: a hostile task's attacks are refused; its victims, their servers and the kernel's books are unharmed") {
    task::Task* hostile = wait_for("hostile", 20'000'000);
    task::Task* victim = wait_for("victim-client", 20'000'000);
    task::Task* sink = wait_for("sink", 5'000'000);
    task::Task* mortal = wait_for("mortal-client", 5'000'000);
    if (!KCHECK((hostile != nullptr && victim != nullptr && sink != nullptr && mortal != nullptr))) return;
    KCHECK((hostile->state == task::State::kExited && hostile->exit_code == 0));
    KCHECK((victim->state == task::State::kExited && victim->exit_code == 0));
    KCHECK((sink->state == task::State::kExited && sink->exit_code == 0));
    KCHECK((mortal->state == task::State::kExited && mortal->exit_code == 0));
    task::Task* server = task::find_task("victim-server");
    KCHECK((server != nullptr && server->state != task::State::kExited && server->state != task::State::kFaulted));
    // Nothing the ended tasks held stays charged, and every count adds up.
    KCHECK(task::reply_rights_held(*hostile) == 0);
    KCHECK(task::reply_rights_held(*sink) == 0);
    KCHECK(task::ipc_broken_invariant() == nullptr);
    KCHECK(task::queued("sink") == 0);
}

KTEST("tasks: a restartable service that faults is restarted with fresh memory and serves its queue again") {
    task::Task* client = wait_for("phoenix-client", 20'000'000);
    if (!KCHECK(client != nullptr)) return;
    KCHECK((client->state == task::State::kExited && client->exit_code == 0));
    size_t faulted = 0, running = 0;
    for (task::Task* t : task::all_tasks()) {
        if (std::string_view(t->name) != "phoenix") continue;
        faulted += t->state == task::State::kFaulted;
        running += t->state != task::State::kFaulted && t->state != task::State::kExited;
        if (t->state != task::State::kFaulted) KCHECK(t->restarts == 1);
    }
    KCHECK(faulted == 1);
    KCHECK(running == 1);
}

KTEST("fw_cfg: the service finds and reads a file the host passed") {
    task::Task* fw = task::find_task("fw_cfg");
    KCHECK((fw != nullptr && fw->state != task::State::kExited && fw->state != task::State::kFaulted));
    task::Task* client = wait_for("fw_cfg-client", 10'000'000);
    KCHECK(client != nullptr);
    if (client == nullptr) return;
    KCHECK(client->state == task::State::kExited);
    KCHECK(client->exit_code == 0);
}

// services/tests/log_hostile.cpp; the console side (its lines escaped behind
// its prefix, no forged line, the kernel's report of its drops) is checked by
// the QEMU suite's line patterns (tests/qemu/meson.build).
KTEST("log: a huge timeout waits; a hostile task's flood is dropped and counted against it alone") {
    task::Task* t = task::find_task("log-hostile");
    if (!KCHECK(t != nullptr)) return;
    // Its receive timeout used to wrap into 1 tick: 30 ticks later it must still wait.
    KCHECK(task::sched::run_until(blocked, t, 5'000'000));
    (void)task::sched::run_until(never, nullptr, 300'000);
    KCHECK(t->state == task::State::kBlocked);
    abi::Message wake;
    wake.label = 0x6c6f672d77616b65;  // "log-wake"
    KCHECK(task::kernel_send("log-hostile", wake).ok());
    t = wait_for("log-hostile", 10'000'000);
    KCHECK(t->state == task::State::kExited);
    // Its exit code is the number of its lines the kernel refused (negative: its own checks failed).
    KCHECK(t->exit_code > 0);
    KCHECK(static_cast<uint64_t>(t->exit_code) == t->log_budget.dropped_lines());
    for (task::Task* other : task::all_tasks()) {
        if (other != t) KCHECK(other->log_budget.dropped_lines() == 0);
    }
    KCHECK(task::log_ring::dropped() == 0);
}

KTEST("tasks: every ended task's frames and tables are returned, nothing left charged") {
    // Faulted, exited holding calls, exited after its attacks, ended with its server.
    for (const char* name : {"faulter", "mortal", "mortal-client", "sink", "hostile", "victim-client"}) {
        task::Task* t = task::find_task(name);
        if (!KCHECK(t != nullptr)) continue;
        KCHECK(task::sched::run_until(task::task_reclaimed, t, 20'000'000));
        // PML4, tables, ELF pages and a 4-page user stack at least.
        KCHECK(t->frames_charged.load() >= 10);
        KCHECK(t->frames_held() == 0);
        KCHECK(t->pml4 == PhysAddr{});
    }
    task::Task* console = task::find_task("console");
    KCHECK((console != nullptr && console->frames_held() > 0));  // alive: keeps its memory (and the ring)
}

KTEST("tasks: a task's exit gives the allocator back at least every frame charged to it") {
    task::Task* t = task::find_task("reclaim");
    if (!KCHECK(t != nullptr)) return;
    KCHECK(t->cpu == 0);  // ends here, so the measurement below sees all of it
    KCHECK(task::sched::run_until(blocked, t, 5'000'000));
    // 16 bss + 4 DMA + 4 user stack + PML4 and tables + image.
    const uint64_t held = t->frames_held();
    KCHECK(held >= 30);
    const uint64_t before = mm::free_bytes();
    abi::Message go;
    KCHECK(task::kernel_send("reclaim", go).ok());
    KCHECK(task::sched::run_until(task::task_reclaimed, t, 5'000'000));
    const uint64_t after = mm::free_bytes();
    KCHECK((t->state == task::State::kExited && t->exit_code == 0));
    // Other CPUs allocate little meanwhile; a missing release would leave
    // the difference near 0.
    KCHECK(after >= before + held * kPageSize);
}
