// Kernel and IST stacks in their own region (0xffffff0000000000), each with an
// unmapped guard page below it, and the registry that lets a fault report say
// whose guard page was hit.
#pragma once

#include "arch/x86_64/cpu_init.hpp"
#include "warden/addr.hpp"
#include "warden/format.hpp"
#include "warden/result.hpp"

namespace warden::mm {

struct Stack {
    const char* name = nullptr;
    unsigned cpu = 0;
    VirtAddr guard;  // the unmapped page just below bottom
    VirtAddr bottom;
    VirtAddr top;  // initial stack pointer (exclusive end)
};

// Maps `pages` pages RW+NX above a fresh guard page. The name must outlive the stack.
Result<Stack> allocate_stack(const char* name, unsigned cpu, unsigned pages);

// The stack whose guard page contains va, or null.
const Stack* stack_for_guard(VirtAddr va);
// The exception reporter's hook (arch::FaultHooks): names the stack whose
// guard page va is, if any.
void describe_guard_page(VirtAddr va, fmt::Sink& report);

// A CPU's kernel stack and IST stacks, allocated by the BSP before it starts.
Result<arch::CpuStacks> allocate_cpu_stacks(unsigned index);

}  // namespace warden::mm
