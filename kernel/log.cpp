// The kernel log's lock and line prefixes.
#include "log.hpp"

namespace warden::log {
namespace {
SpinLock log_lock;
}

SpinLock& lock() { return log_lock; }

void write_prefix(Level level) {
    static constexpr const char* kPrefix[] = {"error: ", "warn:  ", "info:  ", "debug: "};
    console::sink().write(kPrefix[static_cast<int>(level)]);
}

}  // namespace warden::log
