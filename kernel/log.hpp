// Kernel log: `log::info("frames: {} free", n)`. Lines below the build's
// level (meson option log_level) compile to nothing. Each line is written
// whole under one lock, prefixed with its level.
#pragma once

#include "console/early_console.hpp"
#include "warden/format.hpp"
#include "warden/spinlock.hpp"

#ifndef WARDEN_LOG_LEVEL
#define WARDEN_LOG_LEVEL 3
#endif

namespace warden::log {

enum class Level : int { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };
inline constexpr Level kCompiledLevel = static_cast<Level>(WARDEN_LOG_LEVEL);

// Held while a line is written; panic() takes it too.
SpinLock& lock();
void write_prefix(Level level);
// Where lines go: the early console, until the console service takes over
// (task/log_ring.hpp). Call with lock() held.
fmt::Sink& sink();
// Straight to the early console, for a report the system stops after.
fmt::Sink& console_sink();
void set_sink(fmt::Sink* s);
// A task's log line as task/task_log.hpp rendered it ("[name] text\n", the
// text escaped): written as it is, in one piece. Every other line is the
// kernel's and starts with something else than '[' (a level, "warden: ",
// TAP), so no task line can pass for one.
void task_line(std::string_view rendered);

template <Level L, typename... Args>
void line(fmt::FormatString<std::type_identity_t<Args>...> text, const Args&... args) {
    if constexpr (L <= kCompiledLevel) {
        LockGuard guard(lock());
        write_prefix(L);
        fmt::format(sink(), text, args...);
        sink().write("\n");
    }
}

template <typename... Args>
void error(fmt::FormatString<std::type_identity_t<Args>...> t, const Args&... a) {
    line<Level::kError>(t, a...);
}
template <typename... Args>
void warn(fmt::FormatString<std::type_identity_t<Args>...> t, const Args&... a) {
    line<Level::kWarn>(t, a...);
}
template <typename... Args>
void info(fmt::FormatString<std::type_identity_t<Args>...> t, const Args&... a) {
    line<Level::kInfo>(t, a...);
}
template <typename... Args>
void debug(fmt::FormatString<std::type_identity_t<Args>...> t, const Args&... a) {
    line<Level::kDebug>(t, a...);
}

// A line with no prefix, at any level: protocol lines that tools parse
// (the ready line, TAP).
template <typename... Args>
void raw(fmt::FormatString<std::type_identity_t<Args>...> text, const Args&... args) {
    LockGuard guard(lock());
    fmt::format(sink(), text, args...);
    sink().write("\n");
}

}  // namespace warden::log
