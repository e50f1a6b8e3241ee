// The service runtime: constructors, then service_main. Compiler hooks that a
// freestanding user program needs land here too.
#include "service.hpp"

extern "C" {
using Constructor = void (*)();
extern const Constructor __init_array_start[];
extern const Constructor __init_array_end[];

int64_t service_start() {
    for (const Constructor* c = __init_array_start; c != __init_array_end; ++c) (*c)();
    return service_main();
}

[[noreturn]] void __cxa_pure_virtual() {
    svc::log_raw("pure virtual call");
    svc::exit(-1);
}
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void* __dso_handle = nullptr;
}

namespace std {
[[noreturn]] void __throw_out_of_range_fmt(const char*, ...) { svc::exit(-1); }
[[noreturn]] void __throw_length_error(const char*) { svc::exit(-1); }
}  // namespace std
