// What the compiler expects of a freestanding C++ image: the stack
// protector's guard and failure, pure virtual calls, and the constructors
// of objects the compiler does not initialise statically.
#include <cstddef>
#include <cstdint>

#include "console.hpp"

extern "C" {
// -mstack-protector-guard=global: a fixed odd pattern (no entropy is needed to
// catch the host's own overflows; the guest never sees the host's stack).
uintptr_t __stack_chk_guard = 0x5afe'c0de'2a17'0e91;
[[noreturn]] void __stack_chk_fail() { snp_host::fail("stack protector: a host stack frame was overwritten"); }
[[noreturn]] void __cxa_pure_virtual() { snp_host::fail("pure virtual call"); }

// lib/libc/fortify.cpp's: libbearssl's copy past its destination.
[[noreturn]] void warden_fortify_fail(const char* what) { snp_host::fail(what); }
}

namespace snp_host {

using Constructor = void (*)();
extern "C" const Constructor __init_array_start[];
extern "C" const Constructor __init_array_end[];

// Before anything else on the BSP (host_main): until then objects with a
// dynamic initialiser (the per-vCPU contexts, whose VMSA GPA starts as
// "none") hold zeros.
void run_global_constructors() {
    for (const Constructor* c = __init_array_start; c != __init_array_end; ++c) (*c)();
}

}  // namespace snp_host
