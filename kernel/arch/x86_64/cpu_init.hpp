// Bringing one CPU's own tables up: its stacks (kernel and IST, each with a
// guard page), GDT and TSS, the shared IDT, its local APIC and timer.
#pragma once

#include "arch/x86_64/percpu.hpp"
#include "mm/stacks.hpp"

namespace warden::arch {

struct CpuStacks {
    mm::Stack kernel, double_fault, nmi, machine_check, vmm_communication;
};

// Allocated by the BSP for every CPU before it starts.
Result<CpuStacks> allocate_cpu_stacks(unsigned index);

// On the CPU itself, with GS already pointing at c: GDT/TSS with IST stacks
// and RSP0, then the IDT's IST assignments (idempotent). The APIC comes
// after the platform's per-CPU setup (SNP: its MSRs need the GHCB).
void init_cpu_tables(PerCpu& c, const CpuStacks& stacks);

}  // namespace warden::arch
