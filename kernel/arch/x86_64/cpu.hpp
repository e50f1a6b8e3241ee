// Every privileged or special instruction the kernel uses, each in one tiny
// named function. Nothing else in the kernel writes inline assembly.
#pragma once

#include <cstdint>

namespace warden::arch {

inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
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

inline uint64_t rdtsc() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t{hi} << 32) | lo;
}

inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t{hi} << 32) | lo;
}
inline void wrmsr(uint32_t msr, uint64_t v) {
    asm volatile("wrmsr" ::"c"(msr), "a"(static_cast<uint32_t>(v)), "d"(static_cast<uint32_t>(v >> 32)));
}

struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
};
inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0) {
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
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

inline void write_cr0(uint64_t v) { asm volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
inline void write_cr3(uint64_t v) { asm volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
inline void write_cr4(uint64_t v) { asm volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
inline void invlpg(uint64_t va) { asm volatile("invlpg (%0)" ::"r"(va) : "memory"); }

struct [[gnu::packed]] DescriptorPointer {
    uint16_t limit;
    uint64_t base;
};
inline void lgdt(const DescriptorPointer& p) { asm volatile("lgdt %0" ::"m"(p)); }
inline void lidt(const DescriptorPointer& p) { asm volatile("lidt %0" ::"m"(p)); }
inline void ltr(uint16_t selector) { asm volatile("ltr %0" ::"r"(selector)); }

// Reloads CS with a far return and the data segments with `data`.
inline void reload_segments(uint16_t code, uint16_t data) {
    asm volatile(
        "pushq %q0\n"
        "leaq 1f(%%rip), %%rax\n"
        "pushq %%rax\n"
        "lretq\n"
        "1:\n"
        "mov %w1, %%ds\n"
        "mov %w1, %%es\n"
        "mov %w1, %%ss\n" ::"r"(uint64_t{code}),
        "r"(data)
        : "rax", "memory");
}

// The per-CPU area's self pointer lives at GS:0 (percpu.hpp).
inline uint64_t read_gs_base_self() {
    uint64_t v;
    asm volatile("mov %%gs:0, %0" : "=r"(v));
    return v;
}

// Interrupts on, then halt, with no window between: a wake-up interrupt that
// arrives after STI is taken by the HLT (STI's one-instruction shadow).
inline void sti_hlt() { asm volatile("sti; hlt" ::: "memory"); }
inline uint64_t read_rflags() {
    uint64_t v;
    asm volatile("pushfq; popq %0" : "=r"(v));
    return v;
}

inline void cli() { asm volatile("cli" ::: "memory"); }
inline void sti() { asm volatile("sti" ::: "memory"); }
inline void hlt() { asm volatile("hlt" ::: "memory"); }
inline void pause() { asm volatile("pause"); }

// Loads an empty IDT and raises an exception: the CPU shuts down (triple
// fault). Only the QEMU suite's triple-fault image uses it.
[[noreturn]] inline void triple_fault() {
    struct [[gnu::packed]] {
        uint16_t limit;
        uint64_t base;
    } empty{0, 0};
    asm volatile("lidt %0; int3" ::"m"(empty));
    __builtin_unreachable();
}

// SEV-SNP instructions (AMD APM Vol. 3). Only the SNP platform calls them: on
// any other CPU they raise #UD.
struct PvalidateResult {
    uint32_t eax;
    bool carry;  // the RMP entry already had the requested state
};
inline PvalidateResult pvalidate(uint64_t va, bool huge, bool valid) {
    uint32_t eax;
    bool cf;
    asm volatile("pvalidate" : "=a"(eax), "=@ccc"(cf) : "a"(va), "c"(uint64_t{huge}), "d"(uint64_t{valid}) : "memory");
    return {eax, cf};
}
inline uint32_t rmpadjust(uint64_t va, bool huge, uint64_t attributes) {
    uint32_t eax;
    asm volatile("rmpadjust" : "=a"(eax) : "a"(va), "c"(uint64_t{huge}), "d"(attributes) : "memory");
    return eax;
}
// VMGEXIT: REP VMMCALL (F3 0F 01 D9), handing the GHCB to the hypervisor.
inline void vmgexit() { asm volatile("rep; vmmcall" ::: "memory"); }

// Deliberate exceptions, for the boot tests of the fault reports.
inline void int3() { asm volatile("int $3"); }
inline void ud2() { asm volatile("ud2"); }

// Interrupts off and halt, forever.
[[noreturn]] inline void halt_forever() {
    for (;;) {
        cli();
        hlt();
    }
}

}  // namespace warden::arch
