// GDT and TSS setup. Descriptor encodings: AMD APM Vol. 2 4.8 (code/data in
// long mode ignore base and limit) and 4.8.3 (the 16-byte system descriptor).
#include "arch/x86_64/gdt.hpp"

#include "arch/x86_64/cpu.hpp"

namespace warden::arch {
namespace {

// Accessed bits preset: the CPU never needs to write the table.
constexpr uint64_t kKernelCode64 = 0x00af9b000000ffff;  // P, DPL0, code, L
constexpr uint64_t kKernelData = 0x00cf93000000ffff;    // P, DPL0, data, writable
constexpr uint64_t kUserData = 0x00cff3000000ffff;      // P, DPL3, data, writable
constexpr uint64_t kUserCode64 = 0x00affb000000ffff;    // P, DPL3, code, L
constexpr uint64_t kTssAvailable = 0x9;

}  // namespace

void load_cpu_tables(CpuTables& t, const uint64_t (&ist_tops)[7], uint64_t rsp0) {
    t.tss = Tss{};
    t.tss.rsp[0] = rsp0;
    for (unsigned i = 0; i < 7; ++i) t.tss.ist[i] = ist_tops[i];
    t.tss.iomap_base = sizeof(Tss);  // no I/O permission bitmap

    const auto base = reinterpret_cast<uint64_t>(&t.tss);
    const uint64_t limit = sizeof(Tss) - 1;
    t.gdt[0] = 0;
    t.gdt[1] = kKernelCode64;
    t.gdt[2] = kKernelData;
    t.gdt[3] = kUserData;
    t.gdt[4] = kUserCode64;
    t.gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (kTssAvailable << 40) | (uint64_t{1} << 47) |
               (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    t.gdt[6] = base >> 32;

    lgdt(DescriptorPointer{sizeof(t.gdt) - 1, reinterpret_cast<uint64_t>(t.gdt)});
    reload_segments(kKernelCodeSelector, kKernelDataSelector);
    ltr(kTssSelector);
}

}  // namespace warden::arch
