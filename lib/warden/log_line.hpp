// A task's log line as the console shows it, and the budget that bounds how
// much of the log one task may take (issue 18). The kernel renders every task
// line here: its prefix names the writer, and no byte of the task's text can
// end the line or steer the terminal. Pure: the kernel passes names and time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "warden/abi/syscall.hpp"
#include "warden/result.hpp"

namespace warden::log_line {

// How one byte of a task's text is shown: printable ASCII (0x20..0x7e) as
// itself, but the backslash as "\\"; every other byte (C0 controls, DEL and
// all of 0x80..0xff) as "\xNN", lower-case hex. Bytes >= 0x80 are escaped
// too: a raw 0x9b is CSI to an 8-bit terminal, invalid UTF-8 turns into
// U+FFFD in the test runner's decoding (the byte vanishes from view), and
// valid UTF-8 can carry bidirectional and invisible code points that make a
// line read as another. The console log is ASCII; nobody needs more.
inline constexpr size_t kMaxEscape = 4;
size_t escape(uint8_t byte, char (&out)[kMaxEscape]);

// Whether a task name may open a line: 1..kNameBytes-1 bytes of
// [A-Za-z0-9_.@-]. No name holds a space, a bracket or a control byte, so
// "[name] " ends where the first "] " is.
bool valid_task_name(std::string_view name);

// "[" name "] " escaped text "\n": the longest line render writes.
inline constexpr size_t kMaxLine = 1 + (abi::kNameBytes - 1) + 2 + abi::kMaxLog * kMaxEscape + 1;

// Renders one task line into out and returns it. Invariants (the fuzz target
// checks them): the line starts with "[name] ", ends with its only '\n', has
// no other byte outside 0x20..0x7e, is at most kMaxLine bytes, and the text
// is recovered from it exactly. kInvalidArgument for a name that is not
// valid_task_name, kOutOfRange for text longer than abi::kMaxLog.
Result<std::string_view> render(std::string_view name, std::span<const uint8_t> text, std::span<char, kMaxLine> out);

// A token bucket over bytes: a task may write `burst` bytes at once and
// `per_tick` more for every timer tick since; each line costs its bytes but
// at least `min_line`, which bounds the number of tiny lines as well. Drops
// are reported at most once every `report_every` ticks (and when the task
// ends), so the kernel's reports add little to what a flooder costs.
struct BudgetRule {
    uint64_t burst;
    uint64_t per_tick;
    uint64_t min_line;
    uint64_t report_every;
};
// 4 KiB at once (every line of a service's start-up fits: the BIOS loader's
// ~15 lines are ~1.3 KiB), then 3.2 KB/s at 100 Hz (40 lines of 80 bytes a
// second), and a report a second at most. The console must keep up with a
// flooder where every UART byte is a slow exit (this machine's KVM): one
// task alone cannot outrun it.
inline constexpr BudgetRule kTaskBudget{4096, 32, 64, 100};
static_assert(kTaskBudget.burst >= kMaxLine, "a full bucket takes the longest line");

// One task's budget. `now` is in ticks of one clock that does not go back
// (a task is pinned: its CPU's ticks); a clock that does is taken as having
// stood still. Over budget, the line is dropped and counted: the task loses
// its own lines, never another's.
class Budget {
public:
    constexpr explicit Budget(BudgetRule rule = kTaskBudget) : rule_(rule), tokens_(rule.burst) {}

    // Whether a line of `bytes` may be written at `now`; charges it if so.
    bool admit(uint64_t now, size_t bytes);
    // The number of dropped lines to report at `now`: those since the last
    // report, once report_every ticks have passed since it (at once when
    // `final`: the task ends); 0 when there is nothing to report yet.
    uint64_t take_report(uint64_t now, bool final);

    uint64_t dropped_lines() const { return dropped_lines_; }
    uint64_t dropped_bytes() const { return dropped_bytes_; }
    uint64_t tokens() const { return tokens_; }

private:
    void refill(uint64_t now);

    BudgetRule rule_;
    uint64_t tokens_;
    uint64_t last_ = 0;
    bool started_ = false;
    uint64_t unreported_ = 0;
    uint64_t last_report_ = 0;
    bool reported_ = false;
    uint64_t dropped_lines_ = 0;
    uint64_t dropped_bytes_ = 0;
};

}  // namespace warden::log_line
