// COM1 through #VC (console.hpp).
#include "console.hpp"

#include "warden/spinlock.hpp"

namespace harness {

namespace {
constexpr uint16_t kCom1 = 0x3f8;
warden::SpinLock console_lock;
}  // namespace

void write_line(std::string_view line) {
    warden::LockGuard guard(console_lock);
    const char* p = line.data();
    size_t n = line.size();
    asm volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(kCom1) : "memory");
}

}  // namespace harness
