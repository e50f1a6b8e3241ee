// The GDT and 64-bit TSS of a CPU. Selector layout is fixed by SYSCALL/SYSRET
// (AMD APM Vol. 2 6.1.1): user data directly below user code.
#pragma once

#include <cstdint>

namespace warden::arch {

inline constexpr uint16_t kKernelCodeSelector = 0x08;
inline constexpr uint16_t kKernelDataSelector = 0x10;
inline constexpr uint16_t kUserDataSelector = 0x18 | 3;
inline constexpr uint16_t kUserCodeSelector = 0x20 | 3;
inline constexpr uint16_t kTssSelector = 0x28;

// IST slots (1-based as in the IDT gate): the exceptions that must never run
// on a stack that may be broken or, for #VC, in use by the code it interrupts.
inline constexpr unsigned kIstDoubleFault = 1;
inline constexpr unsigned kIstNmi = 2;
inline constexpr unsigned kIstMachineCheck = 3;
inline constexpr unsigned kIstVmmCommunication = 4;

struct [[gnu::packed]] Tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
static_assert(sizeof(Tss) == 104, "AMD APM Vol. 2 figure 12-8");

struct CpuTables {
    alignas(16) uint64_t gdt[7];
    Tss tss;
};

// Builds the GDT and TSS (IST stacks given by their tops, index = slot - 1),
// loads them and reloads every segment register and TR.
void load_cpu_tables(CpuTables& tables, const uint64_t (&ist_tops)[7], uint64_t rsp0);

}  // namespace warden::arch
