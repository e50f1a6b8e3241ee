// Kernel and IST stacks in their own region (0xffffff0000000000), each with an
// unmapped guard page below it, and the registry that lets a fault report say
// whose guard page was hit.
#pragma once

#include "warden/addr.hpp"
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

}  // namespace warden::mm
