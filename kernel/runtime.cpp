// The small C/C++ runtime a freestanding C++ kernel needs: constructors of
// globals, the stack protector, and the hooks the compiler may call.
#include <cstddef>
#include <cstdint>

#include "panic.hpp"

extern "C" {

// Set by the entry code from the TSC before the first protected frame.
uintptr_t __stack_chk_guard;

[[noreturn]] void __stack_chk_fail() { warden::panic("stack protector: a stack frame was overwritten"); }

[[noreturn]] void __cxa_pure_virtual() { warden::panic("pure virtual function called"); }

// Globals with destructors register them here; the kernel never exits, so
// there is nothing to record.
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void* __dso_handle = nullptr;

}  // extern "C"

namespace std {
// libstdc++'s header-only parts may name these on paths we never take
// (string_view::substr past the end, for example).
[[noreturn]] void __throw_out_of_range_fmt(const char*, ...) { warden::panic("std: out of range"); }
[[noreturn]] void __throw_length_error(const char*) { warden::panic("std: length error"); }
}  // namespace std

namespace warden::runtime {

using Constructor = void (*)();
extern "C" const Constructor __init_array_start[];
extern "C" const Constructor __init_array_end[];

void run_global_constructors() {
    for (const Constructor* c = __init_array_start; c != __init_array_end; ++c) (*c)();
}

}  // namespace warden::runtime
