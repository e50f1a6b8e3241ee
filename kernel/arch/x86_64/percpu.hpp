// Per-CPU data, reached through the GS base: GS:0 holds the area's own
// address, so this_cpu() is one load. The layout of the first words is fixed
// for the system-call entry (issue 6), which swaps GS and uses the scratch
// words before it has a stack.
#pragma once

#include <atomic>
#include <cstddef>

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/gdt.hpp"

namespace warden::arch {

inline constexpr unsigned kMaxCpus = 64;
inline constexpr uint32_t kMsrFsBase = 0xc0000100;        // AMD APM Vol. 2 table A-7
inline constexpr uint32_t kMsrGsBase = 0xc0000101;        // AMD APM Vol. 2 table A-7
inline constexpr uint32_t kMsrKernelGsBase = 0xc0000102;  // swapped in by SWAPGS

struct PerCpu {
    PerCpu* self;         // GS:0
    uint64_t scratch[3];  // GS:8..GS:31, for entry code
    uint64_t kernel_rsp;  // GS:32, RSP0 of the current task
    unsigned index = 0;   // 0 = BSP, in bring-up order
    uint32_t apic_id = 0;
    const char* task = "kernel";         // what runs here (a Task* with issue 6)
    std::atomic<uint8_t> task_flags{0};  // its manifest flags, set before its CR3 is loaded
    std::atomic<bool> online{false};
    std::atomic<uint64_t> ticks{0};  // APIC timer interrupts taken
    uint64_t online_tsc = 0;         // when it reported online
    CpuTables tables;
};
static_assert(offsetof(PerCpu, scratch) == 8 && offsetof(PerCpu, kernel_rsp) == 32, "entry code uses these offsets");

// Points GS at cpu(index) on the calling CPU and records its APIC ID.
void init_this_cpu(unsigned index, uint32_t apic_id);

inline PerCpu& this_cpu() { return *reinterpret_cast<PerCpu*>(read_gs_base_self()); }
PerCpu& cpu(unsigned index);

// CPUs that have reported online (the BSP counts from init_this_cpu).
unsigned online_cpus();
void mark_online(PerCpu& c);

}  // namespace warden::arch
