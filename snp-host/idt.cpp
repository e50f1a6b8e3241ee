// GDT, TSS and IDT of the host; host_exception reports a fault.
#include <cstdint>

#include "console.hpp"
#include "cpu.hpp"
#include "idt.hpp"
#include "paging.hpp"
#include "warden/x86/exceptions.hpp"

extern "C" const uint64_t isr_table[32];

namespace snp_host {
namespace {

// Intel SDM vol. 3 8.7 / AMD APM vol. 2 12.2.5: the 64-bit TSS.
struct [[gnu::packed]] Tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
static_assert(sizeof(Tss) == 104, "APM vol. 2 figure 12-8");

struct [[gnu::packed]] Gate {
    uint16_t offset0, selector;
    uint8_t ist, type;
    uint16_t offset1;
    uint32_t offset2, reserved;
};
static_assert(sizeof(Gate) == 16);

constexpr uint16_t kCodeSelector = 0x08, kTssSelector = 0x18;
constexpr unsigned kVectorDoubleFault = 8;

alignas(16) uint64_t gdts[kMaxCpus][5];
alignas(16) Tss tsses[kMaxCpus];
alignas(16) Gate idt[32];

}  // namespace

void cpu_tables_init(unsigned cpu) {
    uint64_t* gdt = gdts[cpu];
    Tss& tss = tsses[cpu];
    gdt[0] = 0;
    gdt[1] = 0x00af9b000000ffff;  // 64-bit code, accessed
    gdt[2] = 0x00cf93000000ffff;  // data, accessed
    // 64-bit available TSS (type 9), present (APM vol. 2 4.8.3).
    const uint64_t base = reinterpret_cast<uint64_t>(&tss), limit = sizeof(Tss) - 1;
    gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (uint64_t{0x89} << 40) | ((limit >> 16) << 48) |
             ((base >> 24 & 0xff) << 56);
    gdt[4] = base >> 32;
    tss.ist[0] = stack_top(cpu, 1);  // IST1: every exception
    tss.ist[1] = stack_top(cpu, 2);  // IST2: #DF
    tss.iomap_base = sizeof(Tss);
    cpu::lgdt({sizeof(gdts[0]) - 1, reinterpret_cast<uint64_t>(gdt)});
    cpu::ltr(kTssSelector);
    for (unsigned v = 0; v < 32; ++v) {
        const uint64_t h = isr_table[v];
        idt[v] = Gate{static_cast<uint16_t>(h),
                      kCodeSelector,
                      static_cast<uint8_t>(v == kVectorDoubleFault ? 2 : 1),
                      0x8e,
                      static_cast<uint16_t>(h >> 16),
                      static_cast<uint32_t>(h >> 32),
                      0};
    }
    cpu::lidt({sizeof(idt) - 1, reinterpret_cast<uint64_t>(idt)});
}

}  // namespace snp_host

// entry.S: isr_common's frame.
struct ExceptionFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

extern "C" [[noreturn]] void host_exception(const ExceptionFrame* f) {
    using snp_host::log;
    const uint64_t cr2 = snp_host::cpu::read_cr2();
    log("HOST EXCEPTION {} ({}) error {:#x} rip {:#x} cr2 {:#x} rsp {:#x} rflags {:#x}", f->vector,
        f->vector < 32 ? warden::x86::exception_info(static_cast<unsigned>(f->vector)).mnemonic : "?", f->error, f->rip,
        cr2, f->rsp, f->rflags);
    if (snp_host::is_stack_guard(cr2)) log("  cr2 is in a stack guard page: a host stack overflowed");
    log("  rax {:#x} rbx {:#x} rcx {:#x} rdx {:#x} rsi {:#x} rdi {:#x} rbp {:#x}", f->rax, f->rbx, f->rcx, f->rdx,
        f->rsi, f->rdi, f->rbp);
    log("  r8 {:#x} r9 {:#x} r10 {:#x} r11 {:#x} r12 {:#x} r13 {:#x} r14 {:#x} r15 {:#x}", f->r8, f->r9, f->r10, f->r11,
        f->r12, f->r13, f->r14, f->r15);
    snp_host::exit_qemu(snp_host::kExitFail);
}
