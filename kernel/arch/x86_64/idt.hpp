// The IDT: 256 gates to the stubs in isr.S, and the frame they build.
#pragma once

#include <cstdint>
#include <string_view>

#include "warden/addr.hpp"
#include "warden/format.hpp"

namespace warden::arch {

// Laid out by isr_common: general registers, then vector and error code as
// pushed by the stub/CPU, then the CPU's interrupt frame.
struct InterruptFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};
static_assert(sizeof(InterruptFrame) == 22 * 8, "isr.S pushes 22 quadwords");

inline constexpr unsigned kIdtVectors = 256;
inline constexpr uint16_t kKernelCode = 0x08;

// Fills and loads the IDT (BSP, once): every vector is an interrupt gate (IF
// cleared) to its stub, DPL 0.
void init_idt();
// Loads the shared, already filled IDT (APs). Refilling it there would clear
// the IST assignments other CPUs rely on while they take interrupts.
void load_idt();
// Moves a vector onto an IST stack (1..7) set in the TSS; 0 = current stack.
void set_ist(unsigned vector, unsigned ist);

// Handlers for vectors 32..255 (device and IPI interrupts). The dispatcher
// sends the local APIC its EOI before calling the handler, which may switch tasks.
using InterruptHandler = void (*)(InterruptFrame&);
void set_handler(unsigned vector, InterruptHandler handler);

// A handler that serves an exception raised in kernel mode instead of
// reporting it (the SNP platform's #VC). It must resolve the exception or
// not return.
void set_exception_handler(unsigned vector, InterruptHandler handler);
// One that may serve an exception a task (CPL3) raised: true when it did
// (the task resumes), false to report it as the task's fault (SNP: a
// task's CPUID is a #VC served from the CPUID page).
using TaskExceptionHandler = bool (*)(InterruptFrame&);
void set_task_exception_handler(unsigned vector, TaskExceptionHandler handler);

// What the layers above arch add to an exception report (arch is the
// lowest kernel layer and includes none of them; main.cpp installs these
// right after the IDT). Each may be null.
struct FaultHooks {
    // Serves a system call that arrived as a #PF at the entry (kvm_pvm, task).
    void (*syscall_from_fault)(InterruptFrame&) = nullptr;
    // Appends ": stack guard page hit (...)" when va is a stack's guard page (mm).
    void (*describe_guard_page)(VirtAddr va, fmt::Sink& report) = nullptr;
    // A CPL3 fault: stops the running task and goes on; does not return (task).
    void (*task_fault)(unsigned vector, uint64_t address, std::string_view report) = nullptr;
};
void set_fault_hooks(const FaultHooks& hooks);

// Counts of interrupts that arrived on vectors nobody handles.
uint64_t unexpected_interrupts();

}  // namespace warden::arch
