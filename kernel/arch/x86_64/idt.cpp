// IDT setup and the one dispatcher every vector enters. Exceptions are
// reported in full and stop the system (or resume a fault catcher); other
// vectors are counted as unexpected until something registers for them.
#include "arch/x86_64/idt.hpp"

#include <atomic>

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/fault_recovery.hpp"
#include "arch/x86_64/percpu.hpp"
#include "log.hpp"
#include "panic.hpp"
#include "warden/x86/exceptions.hpp"

extern "C" const uint64_t isr_stub_table[];
extern "C" void syscall_entry();

namespace warden::arch {
namespace {

struct [[gnu::packed]] Gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(Gate) == 16, "AMD APM Vol. 2 figure 4-24");

constexpr uint8_t kInterruptGate = 0x8e;  // P, DPL0, 64-bit interrupt gate
constexpr unsigned kPageFault = 14, kDoubleFault = 8;

alignas(16) Gate idt[kIdtVectors];
InterruptHandler handlers[kIdtVectors];
InterruptHandler exception_handlers[x86::kExceptionVectors];
TaskExceptionHandler task_exception_handlers[x86::kExceptionVectors];
std::atomic<uint64_t> unexpected{0};
FaultHooks hooks;

// This machine's KVM (kvm_pvm) runs SYSCALL from CPL3 to LSTAR without
// leaving CPL3, so the first fetch of the (supervisor) entry page faults.
// Such a fault carries the task's SYSCALL state intact: serve the call here.
bool is_syscall_in_user_mode(const InterruptFrame& f) {
    return (f.cs & 3) == 3 && f.vector == kPageFault && f.rip == reinterpret_cast<uint64_t>(&syscall_entry);
}

void report_exception(InterruptFrame& f) {
    if (is_syscall_in_user_mode(f)) {
        static std::atomic<bool> said{false};
        if (!said.exchange(true))
            log::warn("kvm_pvm: SYSCALL arrived in CPL3; serving system calls from the #PF it raises");
        if (hooks.syscall_from_fault) {
            hooks.syscall_from_fault(f);
            return;
        }
    }
    const x86::ExceptionInfo info = x86::exception_info(static_cast<unsigned>(f.vector));
    const uint64_t cr2 = read_cr2();
    fmt::FixedString<320> report;
    fmt::format(report, "{} ({}, vector {}) error {:#x}", info.name, info.mnemonic, f.vector, f.error_code);
    if (f.vector == kPageFault) {
        fmt::format(report, " at {:#x} [", cr2);
        x86::describe_page_fault(report, f.error_code);
        report.write("]");
    }
    fmt::format(report, ", RIP {:#x}, RSP {:#x}, cpu {}, task {}", f.rip, f.rsp, this_cpu().index, this_cpu().task);
    // A stack overflow shows as #PF on the guard page, or as #DF when the
    // #PF itself cannot be pushed; CR2 names the page either way.
    if (f.vector == kPageFault || f.vector == kDoubleFault) {
        if (hooks.describe_guard_page) hooks.describe_guard_page(VirtAddr(cr2), report);
    }
    // A task faulted: stop it and go on (docs/tasks.md, restart policy).
    if ((f.cs & 3) == 3 && hooks.task_fault) {
        hooks.task_fault(static_cast<unsigned>(f.vector), f.vector == kPageFault ? cr2 : f.rip, report.view());
    }
    resume_if_catching(static_cast<unsigned>(f.vector), f.error_code, f.rip, cr2, reinterpret_cast<uint64_t>(&report),
                       report.view());

    // Straight to the early console: the system stops before a console task could print it.
    fmt::format(log::console_sink(), "error: EXCEPTION: {}\n", report.view());
    halt_system();
}

}  // namespace

void set_fault_hooks(const FaultHooks& h) { hooks = h; }

void init_idt() {
    for (unsigned v = 0; v < kIdtVectors; ++v) {
        const uint64_t handler = isr_stub_table[v];
        idt[v] = Gate{static_cast<uint16_t>(handler),
                      kKernelCode,
                      0,
                      kInterruptGate,
                      static_cast<uint16_t>(handler >> 16),
                      static_cast<uint32_t>(handler >> 32),
                      0};
    }
    load_idt();
}

void load_idt() { lidt(DescriptorPointer{sizeof(idt) - 1, reinterpret_cast<uint64_t>(idt)}); }

void set_handler(unsigned vector, InterruptHandler handler) { handlers[vector] = handler; }

void set_exception_handler(unsigned vector, InterruptHandler handler) {
    if (vector < x86::kExceptionVectors) exception_handlers[vector] = handler;
}

void set_task_exception_handler(unsigned vector, TaskExceptionHandler handler) {
    if (vector < x86::kExceptionVectors) task_exception_handlers[vector] = handler;
}

void set_ist(unsigned vector, unsigned ist) { idt[vector].ist = static_cast<uint8_t>(ist & 7); }

uint64_t unexpected_interrupts() { return unexpected.load(std::memory_order_relaxed); }

}  // namespace warden::arch

extern "C" void interrupt_dispatch(warden::arch::InterruptFrame* frame) {
    using namespace warden;
    if (frame->vector == 2 && system_halting()) arch::halt_forever();  // the stop NMI of halt_system()
    if (frame->vector < x86::kExceptionVectors) {
        const arch::InterruptHandler serve = arch::exception_handlers[frame->vector];
        if (serve && (frame->cs & 3) == 0) {
            serve(*frame);
            return;
        }
        const arch::TaskExceptionHandler for_task = arch::task_exception_handlers[frame->vector];
        if (for_task && (frame->cs & 3) == 3 && for_task(*frame)) return;
        arch::report_exception(*frame);
        return;
    }
    if (frame->vector == arch::apic::kSpuriousVector) return;  // no EOI for spurious interrupts (SDM 11.9)
    if (arch::InterruptHandler h = arch::handlers[frame->vector]) {
        // EOI first: the handler may switch to another task (the tick does),
        // and the APIC must not wait for this one to come back.
        arch::apic::eoi();
        h(*frame);
        return;
    }
    const uint64_t n = arch::unexpected.fetch_add(1, std::memory_order_relaxed) + 1;
    log::warn("unexpected interrupt: vector {} on cpu {} (#{} so far)", frame->vector, arch::this_cpu().index, n);
    arch::apic::eoi();  // else its in-service bit blocks every lower-priority vector, the tick included
}
