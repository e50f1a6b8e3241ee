// The memory and string functions the compiler and libstdc++'s header-only
// parts may call, for the kernel
// (-Dlibc=builtin). Host builds use the system's libc instead.
#include <cstddef>
#include <cstdint>

extern "C" {

// Eight bytes per iteration, then the rest: on hardware with fast string
// operations as quick as REP STOSB/MOVSB alone, and under QEMU's TCG (which
// runs a REP string instruction an iteration at a time) up to 8x faster;
// docs/benchmarks.md has the figures.
void* memset(void* dst, int c, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    size_t words = n / 8, rest = n % 8;
    const uint64_t pattern = uint64_t{0x0101010101010101} * static_cast<unsigned char>(c);
    asm volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
    asm volatile("rep stosb" : "+D"(d), "+c"(rest) : "a"(pattern) : "memory");
    return dst;
}

void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
    void* d = dst;
    size_t words = n / 8, rest = n % 8;
    asm volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(rest) : : "memory");
    return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    if (d <= s || d >= s + n) return memcpy(dst, src, n);
    for (size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
    return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
    const auto* x = static_cast<const unsigned char*>(a);
    const auto* y = static_cast<const unsigned char*>(b);
    for (size_t i = 0; i < n; ++i) {
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

void* memchr(const void* s, int c, size_t n) {
    const auto* p = static_cast<const unsigned char*>(s);
    for (size_t i = 0; i < n; ++i) {
        if (p[i] == static_cast<unsigned char>(c)) return const_cast<unsigned char*>(p + i);
    }
    return nullptr;
}

int strcmp(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}

}  // extern "C"
