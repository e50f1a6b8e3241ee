// The harness guest's own machine state, in boot order: page tables (the
// C-bit on every page but the GHCB), the GDT behind the loader's selectors,
// and an IDT whose gates all reach entry.S's stubs (#VC among them).
#include "boot.hpp"

#include <atomic>
#include <cstddef>
#include <cstring>

#include "cpu.hpp"

extern "C" const uint64_t isr_table[32];
extern "C" void irq_stub();

// irq_stub (entry.S): one external interrupt counted, then its non-specific
// EOI to the master 8259 (OCW2 0x20): only IRQ0 is unmasked (irq_checks.cpp).
std::atomic<uint64_t> harness::irq_ticks{0};
extern "C" void harness_irq() {
    harness::irq_ticks.fetch_add(1, std::memory_order_relaxed);
    harness::cpu::outb(0x20, 0x20);
}

namespace harness {

namespace {

// Page-table entries (AMD APM vol. 2 5.3; SPEC-FACTS 12): P | RW | A, and
// D | PS on 2 MiB leaves, D on 4 KiB ones. A and D are set in advance so the
// CPU never writes a table (each such write is an access the RMP checks).
constexpr uint64_t kTable = 0x23, kLeaf4K = 0x63, kLeaf2M = 0xe3;

// Null, 64-bit code at 0x08, data at 0x10, accessed bits set (a segment
// load would otherwise write them).
alignas(16) const uint64_t kGdt[3] = {0, 0x00af9b000000ffff, 0x00cf93000000ffff};

}  // namespace

void build_page_tables(Vcpu& v) {
    VcpuArea& a = *v.area;
    std::memset(&a, 0, offsetof(VcpuArea, idt));  // pml4, pdpt, pd, pt
    a.pml4[0] = gpa_of(a.pdpt) | v.c_bit | kTable;
    for (uint64_t g = 0; g < 4; ++g) {
        a.pdpt[g] = gpa_of(a.pd[g]) | v.c_bit | kTable;
        for (uint64_t i = 0; i < 512; ++i) a.pd[g][i] = ((g << 30) | (i << 21)) | v.c_bit | kLeaf2M;
    }
    a.pd[0][0] = gpa_of(a.pt) | v.c_bit | kTable;  // the first 2 MiB, the image's, in 4 KiB pages
    for (uint64_t i = 0; i < 512; ++i) a.pt[i] = (i << 12) | v.c_bit | kLeaf4K;
    cpu::write_cr3(gpa_of(a.pml4) | v.c_bit);
}

uint64_t page_tables_root(const Vcpu& v) { return gpa_of(v.area->pml4) | v.c_bit; }

void set_shared(Vcpu& v, const void* page, bool shared) {
    const uint64_t gpa = gpa_of(page);
    uint64_t& pte = v.area->pt[gpa >> 12];
    pte = shared ? (pte & ~v.c_bit) : (pte | v.c_bit);
    cpu::invlpg(gpa);
}

void load_descriptor_tables(Vcpu& v) {
    cpu::lgdt(cpu::DescriptorPointer{.limit = sizeof kGdt - 1, .base = gpa_of(kGdt)});
    cpu::reload_segments();
    // 64-bit interrupt gates (APM vol. 2 4.8.4): selector 0x08, IST 0 (the
    // frame goes on the interrupted stack: CPL0 to CPL0), type 0xE, present.
    uint64_t* idt = v.area->idt;
    std::memset(idt, 0, sizeof v.area->idt);
    // Gates 0x20-0x2f: the PICs' vectors as irq_checks.cpp programs them.
    constexpr size_t kGates = 48;
    for (size_t n = 0; n < kGates; ++n) {
        const uint64_t h = n < 32 ? isr_table[n] : reinterpret_cast<uint64_t>(&irq_stub);
        idt[2 * n] = (h & 0xffff) | (uint64_t{0x08} << 16) | (uint64_t{0x8e00} << 32) | ((h >> 16 & 0xffff) << 48);
        idt[2 * n + 1] = h >> 32;
    }
    cpu::lidt(cpu::DescriptorPointer{.limit = kGates * 16 - 1, .base = gpa_of(idt)});
}

}  // namespace harness
