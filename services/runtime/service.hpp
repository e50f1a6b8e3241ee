// What a service program sees: system-call wrappers (the ABI in
// lib/warden/abi/syscall.hpp), formatted logging and the manifest macro.
// A service defines `int64_t service_main()`.
#pragma once

#include <cstddef>
#include <string_view>

#include "manifest_note.hpp"
#include "warden/abi/syscall.hpp"
#include "warden/format.hpp"

namespace svc {

using warden::abi::Message;
using warden::abi::Sys;

inline int64_t syscall(Sys n, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
                       uint64_t a5 = 0) {
    int64_t ret;
    register uint64_t r10 asm("r10") = a3;
    register uint64_t r8 asm("r8") = a4;
    register uint64_t r9 asm("r9") = a5;
    asm volatile("syscall"
                 : "=a"(ret)
                 : "a"(static_cast<uint64_t>(n)), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                 : "rcx", "r11", "memory");
    return ret;
}

inline int64_t log_raw(std::string_view text) {
    return syscall(Sys::kLog, reinterpret_cast<uint64_t>(text.data()), text.size());
}

template <typename... Args>
void log(warden::fmt::FormatString<std::type_identity_t<Args>...> text, const Args&... args) {
    warden::fmt::FixedString<warden::abi::kMaxLog> line;
    warden::fmt::format(line, text, args...);
    (void)log_raw(line.view());
}

[[noreturn]] inline void exit(int64_t code) {
    (void)syscall(Sys::kExit, static_cast<uint64_t>(code));
    __builtin_unreachable();
}
inline int64_t yield() { return syscall(Sys::kYield); }
inline int64_t send(uint64_t handle, const Message& m) {
    return syscall(Sys::kSend, handle, reinterpret_cast<uint64_t>(&m));
}
inline int64_t receive(uint64_t handle, Message& out, uint64_t timeout_ms = warden::abi::kForever) {
    return syscall(Sys::kReceive, handle, reinterpret_cast<uint64_t>(&out), timeout_ms);
}
inline int64_t call(uint64_t handle, const Message& in, Message& out, uint64_t timeout_ms = warden::abi::kForever) {
    return syscall(Sys::kCall, handle, reinterpret_cast<uint64_t>(&in), reinterpret_cast<uint64_t>(&out), timeout_ms);
}
// A call that lends the server `lend` until the reply (kLentRead, kLentWrite).
inline int64_t call(uint64_t handle, const Message& in, Message& out, uint64_t timeout_ms, void* lend,
                    size_t lend_size) {
    return syscall(Sys::kCall, handle, reinterpret_cast<uint64_t>(&in), reinterpret_cast<uint64_t>(&out), timeout_ms,
                   reinterpret_cast<uint64_t>(lend), lend_size);
}
// The server's side: bytes of what the call behind `token` lent; the lent size, or minus an Error.
inline int64_t lent_read(uint32_t token, uint64_t offset, void* out, size_t len) {
    return syscall(Sys::kLentRead, token, offset, reinterpret_cast<uint64_t>(out), len);
}
inline int64_t lent_write(uint32_t token, uint64_t offset, const void* in, size_t len) {
    return syscall(Sys::kLentWrite, token, offset, reinterpret_cast<uint64_t>(in), len);
}
inline int64_t reply(uint32_t token, const Message& m) {
    return syscall(Sys::kReply, token, reinterpret_cast<uint64_t>(&m));
}
inline int64_t io_in(uint16_t port, unsigned width) { return syscall(Sys::kIoIn, port, width); }
inline int64_t io_out(uint16_t port, unsigned width, uint32_t value) {
    return syscall(Sys::kIoOut, port, width, value);
}
inline int64_t dma_buffer(uint64_t pages, uint64_t* phys) {
    return syscall(Sys::kDmaBuffer, pages, reinterpret_cast<uint64_t>(phys));
}
inline uint64_t ticks() { return static_cast<uint64_t>(syscall(Sys::kTicks)); }

inline uint64_t rdtsc() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t{hi} << 32) | lo;
}

}  // namespace svc

extern "C" int64_t service_main();
