// A task's log line on its way to the console: rendered by lib/warden/log_line
// (the kernel's "[name] " prefix, every byte outside printable ASCII escaped)
// and admitted by the task's own budget, so a flood costs the flooder only.
#pragma once

#include <span>

#include "task/task.hpp"

namespace warden::task {

// Writes one line of t's text to the system log. kOutOfRange past
// abi::kMaxLog; kBusy when the line is over t's budget (dropped, counted, and
// reported in a kernel line before one of t's next lines that get through,
// at most once a second).
Result<void> log_task_text(Task& t, std::span<const uint8_t> text);

// Reports t's dropped lines that are not reported yet: when t ends.
void report_log_drops(Task& t);

// t (the current task) asked to exit with code (Warden's kExit, Linux's
// exit and exit_group): said in the log with its unreported drops, then ended.
[[noreturn]] void exit_current(Task& t, int64_t code);

}  // namespace warden::task
