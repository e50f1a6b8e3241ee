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
using baremetal::rdtsc;
using baremetal::read_cr0;
using baremetal::read_cr2;
using baremetal::read_cr3;
using baremetal::read_cr4;
using baremetal::write_cr3;
using baremetal::wrmsr;
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
[[noreturn]] inline void halt_forever() {
    for (;;) asm volatile("cli; hlt");
}

}  // namespace snp_host::cpu
