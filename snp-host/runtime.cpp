// What the compiler expects of a freestanding C++ image: the stack
// protector's guard and failure, pure virtual calls.
#include <cstdint>

#include "console.hpp"

extern "C" {
// -mstack-protector-guard=global: a fixed odd pattern (no entropy is needed to
// catch the host's own overflows; the guest never sees the host's stack).
uintptr_t __stack_chk_guard = 0x5afe'c0de'2a17'0e91;
[[noreturn]] void __stack_chk_fail() { snp_host::fail("stack protector: a host stack frame was overwritten"); }
[[noreturn]] void __cxa_pure_virtual() { snp_host::fail("pure virtual call"); }
}
