// Task log lines: render, charge the writer's budget, write whole.
#include "task/task_log.hpp"

#include "arch/x86_64/percpu.hpp"
#include "log.hpp"
#include "warden/log_line.hpp"

namespace warden::task {

Result<void> log_task_text(Task& t, std::span<const uint8_t> text) {
    char buffer[log_line::kMaxLine];
    WARDEN_TRY(line, log_line::render(t.name, text, buffer));
    // A task is pinned, so its CPU's ticks are one clock that never goes back.
    if (!t.log_budget.admit(arch::this_cpu().ticks.load(), line.size())) return Fail(Error::kBusy);
    report_log_drops(t);
    log::task_line(line);
    return {};
}

void report_log_drops(Task& t) {
    // At most one report per line the task gets through (or per end): a
    // flooder cannot turn the reports into a flood of the kernel's own.
    if (const uint64_t n = t.log_budget.take_unreported(); n != 0)
        log::warn("log: {} lines of {} dropped: over its budget ({} dropped in all)", n, t.name,
                  t.log_budget.dropped_lines());
}

}  // namespace warden::task
