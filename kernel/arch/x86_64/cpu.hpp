// Every privileged or special instruction the kernel uses, each in one tiny
// named function. Nothing else in the kernel writes inline assembly.
#pragma once

#include <cstdint>

#include "baremetal/x86_insn.hpp"

namespace warden::arch {

// The instructions the emulated SNP host uses too (lib/baremetal).
using baremetal::cpuid;
using baremetal::CpuidResult;
using baremetal::DescriptorPointer;
using baremetal::inb;
using baremetal::inl;
using baremetal::invlpg;
using baremetal::inw;
using baremetal::lgdt;
using baremetal::lidt;
using baremetal::ltr;
using baremetal::outb;
using baremetal::outl;
using baremetal::outw;
using baremetal::rdmsr;
using baremetal::rdrand64;
using baremetal::rdseed64;
using baremetal::rdtsc;
using baremetal::read_cr0;
using baremetal::read_cr2;
using baremetal::read_cr3;
using baremetal::read_cr4;
using baremetal::write_cr0;
using baremetal::write_cr3;
using baremetal::write_cr4;
using baremetal::wrmsr;

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

// The x87/SSE state of a task (FXSAVE64 layout, 512 bytes, 16-aligned).
// The kernel itself never uses the vector unit (-mgeneral-regs-only).
inline void fxsave(void* area) { asm volatile("fxsave64 (%0)" ::"r"(area) : "memory"); }
inline void fxrstor(const void* area) { asm volatile("fxrstor64 (%0)" ::"r"(area) : "memory"); }
inline void clts() { asm volatile("clts" ::: "memory"); }

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
