// Stack allocation: a bump pointer through the stacks region. Stacks are
// never freed yet (CPUs and tasks live as long as the SVSM).
#include "mm/stacks.hpp"

#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "warden/spinlock.hpp"

namespace warden::mm {
namespace {

constexpr size_t kMaxStacks = 128;
Stack stacks[kMaxStacks];
size_t stack_count = 0;
uint64_t next_va = kStacksBase;
SpinLock lock;

}  // namespace

Result<Stack> allocate_stack(const char* name, unsigned cpu, unsigned pages) {
    LockGuard guard(lock);
    if (stack_count == kMaxStacks || pages == 0) return Fail(Error::kNoMemory);
    const uint64_t span = (uint64_t{pages} + 1) * kPageSize;
    if (next_va + span > kStacksEnd) return Fail(Error::kNoMemory);
    Stack s{name, cpu, VirtAddr(next_va), VirtAddr(next_va + kPageSize), VirtAddr(next_va + span)};
    for (unsigned i = 0; i < pages; ++i) {
        auto frame = alloc_zeroed(0);
        if (!frame) return Fail(frame.error());  // the stack's earlier frames leak: boot stops anyway
        const MapFlags rw{.writable = true, .global = true};
        WARDEN_TRY_VOID(kernel_mapper().map(s.bottom + uint64_t{i} * kPageSize, *frame, kPageSize, rw));
    }
    next_va += span;
    stacks[stack_count++] = s;
    return s;
}

const Stack* stack_for_guard(VirtAddr va) {
    for (size_t i = 0; i < stack_count; ++i) {
        if (va >= stacks[i].guard && va < stacks[i].bottom) return &stacks[i];
    }
    return nullptr;
}

void describe_guard_page(VirtAddr va, fmt::Sink& report) {
    if (const Stack* s = stack_for_guard(va))
        fmt::format(report, ": stack guard page hit (cpu {}, stack {})", s->cpu, s->name);
}

Result<arch::CpuStacks> allocate_cpu_stacks(unsigned index) {
    constexpr unsigned kKernelStackPages = 4;  // 16 KiB
    constexpr unsigned kIstStackPages = 2;     // 8 KiB
    WARDEN_TRY(kernel, allocate_stack("kernel", index, kKernelStackPages));
    WARDEN_TRY(df, allocate_stack("double-fault", index, kIstStackPages));
    WARDEN_TRY(nmi, allocate_stack("nmi", index, kIstStackPages));
    WARDEN_TRY(mc, allocate_stack("machine-check", index, kIstStackPages));
    WARDEN_TRY(vc, allocate_stack("vmm-communication", index, kIstStackPages));
    return arch::CpuStacks{kernel.top, df.top, nmi.top, mc.top, vc.top};
}

}  // namespace warden::mm
