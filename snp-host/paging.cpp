// The host's page tables, built once at boot and never changed.
#include "paging.hpp"

#include "console.hpp"
#include "cpu.hpp"
#include "warden/mm/page_table.hpp"

extern "C" char __image_start[], __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[],
    __data_end[], __stack_guard[];

namespace snp_host {
namespace {

namespace pte = warden::mm::pte;
constexpr uint64_t kPage = 4096, kLarge = 2 * kMiB;
constexpr uint64_t kStackBytes = 20480;  // the PSP's crypto (psp.cpp) runs on a vCPU's stack

alignas(4096) uint64_t pml4[512];
alignas(4096) uint64_t pdpt[512];
alignas(4096) uint64_t pd[4][512];
constexpr unsigned kLowTables = 2;
alignas(4096) uint64_t pt_low[kLowTables][512];  // the first 4 MiB: the image
// Stacks, each behind a guard page (the first page of each array).
alignas(4096) uint8_t stacks[kMaxCpus][3][kPage + kStackBytes];

uint64_t addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

bool in(uint64_t a, const char* lo, const char* hi) { return a >= addr(lo) && a < addr(hi); }

}  // namespace

uint64_t stack_top(unsigned cpu, unsigned which) { return addr(stacks[cpu][which]) + sizeof(stacks[0][0]); }

uint64_t host_cr3() { return addr(pml4); }

bool is_stack_guard(uint64_t a) {
    const auto guard = [a](uint64_t g) { return a >= g && a < g + kPage; };
    if (guard(addr(__stack_guard))) return true;
    for (unsigned c = 0; c < kMaxCpus; ++c)
        for (unsigned w = 0; w < 3; ++w)
            if (guard(addr(stacks[c][w]))) return true;
    return false;
}

void paging_init() {
    if (addr(__data_end) > kLowTables * kLarge) fail("image above 4 MiB");
    for (uint64_t i = 0; i < kLowTables * 512; ++i) {
        const uint64_t a = i * kPage;
        uint64_t e = a | pte::kPresent;
        if (a == 0 || is_stack_guard(a)) {
            e = 0;  // page 0: a null pointer faults; guards: an overflow faults
        } else if (in(a, __text_start, __text_end) || a == kApTrampoline) {
            // RX
        } else if (in(a, __rodata_start, __rodata_end)) {
            e |= pte::kNoExecute;
        } else {
            e |= pte::kWritable | pte::kNoExecute;
        }
        pt_low[i / 512][i % 512] = e;
    }
    for (uint64_t g = 0; g < 4; ++g) {
        for (uint64_t i = 0; i < 512; ++i) {
            const uint64_t a = (g << 30) | (i << 21);
            uint64_t e = a | pte::kPresent | pte::kWritable | pte::kHuge | pte::kNoExecute;
            if (g == 3) e |= pte::kWriteThrough | pte::kCacheDisable;  // 3..4 GiB: MMIO (APIC, flash)
            pd[g][i] = e;
        }
        pdpt[g] = addr(pd[g]) | pte::kPresent | pte::kWritable;
    }
    for (unsigned t = 0; t < kLowTables; ++t) pd[0][t] = addr(pt_low[t]) | pte::kPresent | pte::kWritable;
    pml4[0] = addr(pdpt) | pte::kPresent | pte::kWritable;
    cpu::write_cr3(addr(pml4));
}

}  // namespace snp_host
