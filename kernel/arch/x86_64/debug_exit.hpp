// QEMU's isa-debug-exit device (iobase 0xf4): writing V ends QEMU with exit
// status (V << 1) | 1. Status 0 is what a triple fault with -no-reboot gives,
// so both codes are odd and distinct from it; tools/qemu_test.py maps them.
#pragma once

#include "arch/x86_64/cpu.hpp"

namespace warden::arch {

inline constexpr uint16_t kDebugExitPort = 0xf4;
enum class ExitCode : uint8_t {
    kPass = 0x10,  // QEMU exits 33
    kFail = 0x11,  // QEMU exits 35
};

// Returns only when the device is absent (a real machine, or QEMU without it).
inline void debug_exit(ExitCode code) { outl(kDebugExitPort, static_cast<uint8_t>(code)); }

}  // namespace warden::arch
