// What the compiler expects of the freestanding harness guest: the stack
// protector's guard and failure, and pure virtual calls, each ending the
// guest through the GHCB MSR protocol.
#include <cstdint>

#include "ghcb.hpp"

extern "C" {
uintptr_t __stack_chk_guard = 0x6a57'9e57'c0de'2b11;
[[noreturn]] void __stack_chk_fail() { harness::terminate(harness::kReasonSetHarness, 0x10); }
[[noreturn]] void __cxa_pure_virtual() { harness::terminate(harness::kReasonSetHarness, 0x11); }
}
