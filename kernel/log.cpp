// The kernel log's lock and line prefixes.
#include "log.hpp"

namespace warden::log {
namespace {
SpinLock log_lock;
fmt::Sink* current_sink = nullptr;
}  // namespace

SpinLock& lock() { return log_lock; }

fmt::Sink& sink() { return current_sink ? *current_sink : console::sink(); }
void set_sink(fmt::Sink* s) { current_sink = s; }
fmt::Sink& console_sink() { return console::sink(); }

void write_prefix(Level level) {
    static constexpr const char* kPrefix[] = {"error: ", "warn:  ", "info:  ", "debug: "};
    sink().write(kPrefix[static_cast<int>(level)]);
}

void task_line(std::string_view rendered) {
    LockGuard guard(log_lock);
    sink().write(rendered);
}

}  // namespace warden::log
