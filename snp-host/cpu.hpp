// The host CPU's instructions, each in one named function (STYLE.md: inline
// assembly in a few tiny functions, never scattered).
#pragma once

#include <cstdint>

#include "baremetal/x86_insn.hpp"

namespace snp_host::cpu {

// Shared with Warden's kernel (lib/baremetal).
using baremetal::cpuid;
using baremetal::CpuidResult;
using baremetal::DescriptorPointer;
using baremetal::inb;
using baremetal::inl;
using baremetal::inw;
using baremetal::lgdt;
using baremetal::lidt;
using baremetal::ltr;

using baremetal::outb;
using baremetal::outl;
using baremetal::outw;
using baremetal::rdmsr;
using baremetal::rdrand64;  // false when the CPU had no value (CF clear); the caller retries
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
// XCR0 and the XSAVE area (Intel SDM vol. 1 13, AMD APM vol. 2 11.5): the
// guests' x87/SSE/AVX state, which this host (-mgeneral-regs-only) never
// uses itself. `area` is 64-byte aligned; `mask` selects the components.
inline uint64_t xgetbv0() {
    uint32_t lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return uint64_t{hi} << 32 | lo;
}
inline void xsetbv0(uint64_t v) {
    asm volatile("xsetbv" ::"a"(static_cast<uint32_t>(v)), "d"(static_cast<uint32_t>(v >> 32)), "c"(0) : "memory");
}
inline void xsave(void* area, uint64_t mask) {
    asm volatile("xsave64 (%0)" ::"r"(area), "a"(static_cast<uint32_t>(mask)), "d"(static_cast<uint32_t>(mask >> 32))
                 : "memory");
}
inline void xrstor(const void* area, uint64_t mask) {
    asm volatile("xrstor64 (%0)" ::"r"(area), "a"(static_cast<uint32_t>(mask)), "d"(static_cast<uint32_t>(mask >> 32))
                 : "memory");
}
[[noreturn]] inline void halt_forever() {
    for (;;) asm volatile("cli; hlt");
}

}  // namespace snp_host::cpu
