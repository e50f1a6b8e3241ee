// The host CPU's instructions, each in one named function (STYLE.md: inline
// assembly in a few tiny functions, never scattered).
#pragma once

#include <cstdint>

namespace snp_host::cpu {

inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
inline uint8_t inb(uint16_t port) {
    uint8_t v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline uint16_t inw(uint16_t port) {
    uint16_t v;
    asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline uint32_t inl(uint16_t port) {
    uint32_t v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t{hi} << 32) | lo;
}
inline void wrmsr(uint32_t msr, uint64_t v) {
    asm volatile("wrmsr" : : "c"(msr), "a"(static_cast<uint32_t>(v)), "d"(static_cast<uint32_t>(v >> 32)));
}
struct CpuidOut {
    uint32_t eax, ebx, ecx, edx;
};
inline CpuidOut cpuid(uint32_t leaf, uint32_t subleaf) {
    CpuidOut o;
    asm volatile("cpuid" : "=a"(o.eax), "=b"(o.ebx), "=c"(o.ecx), "=d"(o.edx) : "a"(leaf), "c"(subleaf));
    return o;
}
inline uint64_t read_cr0() {
    uint64_t v;
    asm volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
inline uint64_t read_cr2() {
    uint64_t v;
    asm volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
inline uint64_t read_cr3() {
    uint64_t v;
    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
inline uint64_t read_cr4() {
    uint64_t v;
    asm volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}
inline void write_cr3(uint64_t v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
inline uint64_t rdtsc() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t{hi} << 32) | lo;
}
// RDRAND / RDSEED: false when the CPU had no value (CF clear); the caller retries.
inline bool rdrand64(uint64_t& out) {
    bool ok;
    asm volatile("rdrand %0" : "=r"(out), "=@ccc"(ok));
    return ok;
}
inline bool rdseed64(uint64_t& out) {
    bool ok;
    asm volatile("rdseed %0" : "=r"(out), "=@ccc"(ok));
    return ok;
}
struct [[gnu::packed]] DescriptorPointer {
    uint16_t limit;
    uint64_t base;
};
inline void lidt(const DescriptorPointer& p) { asm volatile("lidt %0" : : "m"(p)); }
inline void lgdt(const DescriptorPointer& p) { asm volatile("lgdt %0" : : "m"(p)); }
inline void ltr(uint16_t sel) { asm volatile("ltr %0" : : "r"(sel)); }
[[noreturn]] inline void halt_forever() {
    for (;;) asm volatile("cli; hlt");
}

}  // namespace snp_host::cpu
