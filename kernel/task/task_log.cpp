// Task log lines: render, charge the writer's budget, write whole.
#include "task/task_log.hpp"

#include "arch/x86_64/percpu.hpp"
#include "log.hpp"
#include "task/sched.hpp"
#include "warden/log_line.hpp"

namespace warden::task {
namespace {

void report(Task& t, uint64_t now, bool final) {
    if (const uint64_t n = t.log_budget.take_report(now, final); n != 0)
        log::warn("log: {} lines of {} dropped: over its budget ({} dropped in all)", n, t.name,
                  t.log_budget.dropped_lines());
}

// A task is pinned, so its CPU's ticks are one clock that never goes back.
uint64_t now() { return arch::this_cpu().ticks.load(); }

}  // namespace

Result<void> log_task_text(Task& t, std::span<const uint8_t> text) {
    char buffer[log_line::kMaxLine];
    WARDEN_TRY(line, log_line::render(t.name, text, buffer));
    const uint64_t tick = now();
    if (!t.log_budget.admit(tick, line.size())) return Fail(Error::kBusy);
    // Reports come with a line that gets through, at most once a second, so
    // a flooder cannot turn them into a flood of the kernel's own.
    report(t, tick, false);
    log::task_line(line);
    return {};
}

void report_log_drops(Task& t) { report(t, now(), true); }

void exit_current(Task& t, int64_t code) {
    log::info("task {} exited with {}", t.name, code);
    report_log_drops(t);
    sched::finish_current(State::kExited, code);
}

}  // namespace warden::task
