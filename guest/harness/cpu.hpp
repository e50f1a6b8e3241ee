// The few instructions the harness guest uses beyond lib/baremetal's, each
// in one tiny named function (STYLE.md: inline assembly never scattered).
#pragma once

#include <cstdint>

#include "baremetal/x86_insn.hpp"

namespace harness::cpu {

using baremetal::inb;
using baremetal::inl;
using baremetal::invlpg;
using baremetal::inw;
using baremetal::outb;
using baremetal::outl;
using baremetal::outw;
using baremetal::rdmsr;
using baremetal::rdtsc;
using baremetal::write_cr3;
using baremetal::wrmsr;

inline constexpr uint32_t kGhcbMsr = 0xc0010130;    // GHCB spec 56421 2.3.1
inline constexpr uint32_t kSevStatus = 0xc0010131;  // SPEC-FACTS 1

inline void pause() { asm volatile("pause"); }
inline void vmgexit() { asm volatile("rep; vmmcall" ::: "memory"); }  // F3 0F 01 D9

// The SVSM calling convention around a VMGEXIT that asks for VMPL0 (SVSM
// spec 58019; SPEC-FACTS 7): RAX, RCX, RDX, R8, R9 in, the same out. The
// GHCB MSR already holds the request (MSR protocol) or the GHCB's GPA.
struct SvsmRegs {
    uint64_t rax, rcx, rdx, r8, r9;
};
inline void vmgexit_svsm(SvsmRegs& r) {
    register uint64_t r8 asm("r8") = r.r8;
    register uint64_t r9 asm("r9") = r.r9;
    asm volatile("rep; vmmcall" : "+a"(r.rax), "+c"(r.rcx), "+d"(r.rdx), "+r"(r8), "+r"(r9) : : "memory");
    r.r8 = r8;
    r.r9 = r9;
}

using baremetal::DescriptorPointer;
using baremetal::lgdt;
using baremetal::lidt;
// CS 0x08 and the data selectors 0x10, as the loader's VMSA has them
// (lib/warden/sev/vmsa.hpp), now backed by the image's own GDT.
inline void reload_segments() {
    asm volatile(
        "pushq $0x08\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movl $0x10, %%eax\n\t"
        "movl %%eax, %%ds\n\t"
        "movl %%eax, %%es\n\t"
        "movl %%eax, %%ss\n\t" ::
            : "rax", "memory");
}

}  // namespace harness::cpu
