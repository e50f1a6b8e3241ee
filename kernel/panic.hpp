// panic(): a broken kernel invariant. Prints `PANIC: <message> at file:line`,
// stops every CPU and, under QEMU's isa-debug-exit, ends the VM with the fail
// code. Never for anything a guest, the host or a file can cause.
#pragma once

#include <source_location>

#include "warden/format.hpp"

namespace warden {

[[noreturn]] void panic_with(std::string_view message, const std::source_location& where);

// Stops the system after a fatal report has been printed: exits QEMU with the
// fail code where isa-debug-exit exists, then halts this CPU (and, with SMP,
// every other one).
[[noreturn]] void halt_system();
// True once halt_system() has begun: the NMI it sends stops the receiver.
bool system_halting();

// Formats into a bounded buffer (no allocation), then panics.
template <typename... Args>
struct panic {
    [[noreturn]] panic(fmt::FormatString<std::type_identity_t<Args>...> text, const Args&... args,
                       const std::source_location& where = std::source_location::current()) {
        fmt::FixedString<256> message;
        fmt::format(message, text, args...);
        panic_with(message.view(), where);
    }
};
template <typename... Args>
panic(fmt::FormatString<std::type_identity_t<Args>...>, const Args&...) -> panic<Args...>;

}  // namespace warden
