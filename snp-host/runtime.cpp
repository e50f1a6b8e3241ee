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

// What Debian's libbearssl.a (built with _FORTIFY_SOURCE) calls instead of
// memcpy, memset and memmove when it knows the destination's size.
void* memcpy(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* __memcpy_chk(void* dst, const void* src, size_t n, size_t dst_size) {
    if (n > dst_size) snp_host::fail("fortified memcpy past its destination");
    return memcpy(dst, src, n);
}
void* __memset_chk(void* dst, int c, size_t n, size_t dst_size) {
    if (n > dst_size) snp_host::fail("fortified memset past its destination");
    return memset(dst, c, n);
}
void* __memmove_chk(void* dst, const void* src, size_t n, size_t dst_size) {
    if (n > dst_size) snp_host::fail("fortified memmove past its destination");
    return memmove(dst, src, n);
}
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
