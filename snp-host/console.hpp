// The host's COM1 console (16550 at 0x3F8, QEMU -serial) and its exit
// (isa-debug-exit at 0xF4 with Warden's codes: 0x10 pass -> QEMU status 33,
// 0x11 fail -> 35; QEMU-FACTS "Devices").
#pragma once

#include "warden/format.hpp"

namespace snp_host {

inline constexpr uint16_t kCom1 = 0x3f8;
inline constexpr uint16_t kDebugExitPort = 0xf4;
inline constexpr uint32_t kExitPass = 0x10, kExitFail = 0x11;
// QEMU status 37: the run proves nothing (L1's emulation failed, vcpu.cpp void_run).
inline constexpr uint32_t kExitVoid = 0x12;

void console_init();
void console_write(std::string_view text);
void console_put(uint8_t c);  // one byte as it is (a guest's line)
// Ends a line a guest left unfinished (a part flushed at 160 bytes or by
// age), so that a host line starts a line of its own: tests anchor on it.
void console_new_line();

class ConsoleSink final : public warden::fmt::Sink {
public:
    void write(std::string_view text) override { console_write(text); }
};

// Lines from several host CPUs must not interleave.
void console_lock();
void console_unlock();
struct ConsoleGuard {
    ConsoleGuard() { console_lock(); }
    ~ConsoleGuard() { console_unlock(); }
};

// One line, prefixed "snp-host: ".
template <typename... Args>
void log(warden::fmt::FormatString<std::type_identity_t<Args>...> text, const Args&... args) {
    ConsoleGuard guard;
    ConsoleSink sink;
    console_new_line();
    sink.write("snp-host: ");
    warden::fmt::format(sink, text, args...);
    sink.write("\n");
}

[[noreturn]] void exit_qemu(uint32_t code);
// A broken host invariant or a guest the host refuses to go on with.
[[noreturn]] void fail(std::string_view why);

}  // namespace snp_host
