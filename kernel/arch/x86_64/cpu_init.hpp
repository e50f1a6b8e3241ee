// Bringing one CPU's own tables up: its stacks (kernel and IST, each with a
// guard page), GDT and TSS, the shared IDT, its local APIC and timer.
#pragma once

#include "arch/x86_64/percpu.hpp"
#include "warden/addr.hpp"

namespace warden::arch {

// The tops of a CPU's stacks (mm::allocate_cpu_stacks maps them, each with
// a guard page, for every CPU before it starts).
struct CpuStacks {
    VirtAddr kernel, double_fault, nmi, machine_check, vmm_communication;
};

// On the CPU itself, with GS already pointing at c: GDT/TSS with IST stacks
// and RSP0, then the IDT's IST assignments (idempotent). The APIC comes
// after the platform's per-CPU setup (SNP: its MSRs need the GHCB).
void init_cpu_tables(PerCpu& c, const CpuStacks& stacks);

}  // namespace warden::arch
