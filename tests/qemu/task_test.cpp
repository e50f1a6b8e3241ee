// Boot tests for tasks, system calls, queues and fault containment (issue 6).
// The image embeds the test services of services/tests/; these cases wait for
// them (letting the BSP's tasks run meanwhile) and check what they reported.
#include "task/task.hpp"
#include "task/log_ring.hpp"
#include "task/queue.hpp"
#include "task/sched.hpp"
#include "test/ktest.hpp"

using namespace warden;

namespace {

bool finished(void* p) {
    const auto* t = static_cast<const task::Task*>(p);
    return t->state == task::State::kExited || t->state == task::State::kFaulted;
}

task::Task* wait_for(const char* name, uint64_t timeout_us) {
    task::Task* t = task::find_task(name);
    if (t != nullptr) (void)task::sched::run_until(finished, t, timeout_us);
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

KTEST("ipc: ping and pong on two CPUs complete every call") {
    task::Task* ping = wait_for("ping", 10'000'000);
    task::Task* pong = task::find_task("pong");
    KCHECK((ping != nullptr && pong != nullptr));
    if (ping == nullptr || pong == nullptr) return;
    KCHECK(ping->cpu != pong->cpu);
    KCHECK(ping->state == task::State::kExited);
    KCHECK(ping->exit_code == 0);
}

KTEST("queues: a full queue refuses a send with kBusy and keeps its messages") {
    task::Queue* q = task::find_or_create_queue("ktest-full");
    KCHECK(q != nullptr);
    if (q == nullptr) return;
    abi::Message m;
    for (size_t i = 0; i < task::Queue::kCapacity; ++i) {
        m.label = i;
        KCHECK(q->send(m).ok());
    }
    KCHECK(q->send(m).error() == Error::kBusy);
    KCHECK(q->size() == task::Queue::kCapacity);
    auto first = q->receive(0);
    KCHECK((first.ok() && first->label == 0));
    while (q->size() > 0) (void)q->receive(0);
    KCHECK(q->receive(0).error() == Error::kTimedOut);
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
    task::Queue* q = task::find_or_create_queue("log-hostile");
    if (!KCHECK(q != nullptr)) return;
    abi::Message wake;
    wake.label = 0x6c6f672d77616b65;  // "log-wake"
    KCHECK(q->send(wake).ok());
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
