// A negative image for the emulated SNP host (docs/snp-host.md): VMRUN
// switches no x87/SSE/AVX state and no XCR0, while SEV-ES hardware keeps
// them per VMSA (APM vol. 2 15.35), so the host must switch them at
// RUN_VMPL. VMPL0 puts a pattern in XMM0 and runs a VMPL1 context
// (vmpl1_guest.hpp) that has never run: it must find XMM0 in its init
// state (zero), not VMPL0's pattern. VMPL1 loads a pattern of its own into
// XMM1 and sets its XCR0 to x87 | SSE: back at VMPL0, XMM1 and XCR0 are
// VMPL0's own, XMM0 still holds VMPL0's pattern, and VMPL1's VMSA page holds
// XCR0 3 (SNP VMSA offset 0x3e8). Nothing here is a fault, so the image
// prints what it saw and its KTEST fails on a leak.
//
// Warden's kernel is -mgeneral-regs-only and runs with CR4.OSXSAVE clear
// and CR0.TS set (only kManifestVector tasks get the vector unit,
// docs/tasks.md). The test turns OSXSAVE on and TS off around the RUN_VMPL
// only, with interrupts off, and restores CR4 and CR0 after.
#include "arch/x86_64/cpu.hpp"
#include "test/ktest.hpp"
#include "vmpl1_guest.hpp"

namespace {

constexpr uint64_t kCr4Osfxsr = 1u << 9, kCr4Osxsave = 1u << 18;

struct Seen {
    uint64_t xmm0[2], xmm1[2];
    uint64_t xcr0;
};

// The RUN_VMPL with VMPL0's vector registers set around it. Only inline
// assembly touches XMM registers; nothing in between is vector code.
warden::Result<void> run_with_vector_state(const uint64_t (&pattern)[2], Seen& seen) {
    uint64_t cr4;
    const uint64_t cr0 = warden::arch::read_cr0();
    asm volatile("mov %%cr4, %0" : "=r"(cr4));
    asm volatile("mov %0, %%cr4" ::"r"(cr4 | kCr4Osfxsr | kCr4Osxsave) : "memory");
    warden::arch::clts();
    asm volatile("movdqu (%0), %%xmm0\n\tpxor %%xmm1, %%xmm1" ::"r"(pattern) : "memory");
    auto ran = warden::platform::current().run_vmpl(1);
    asm volatile("movdqu %%xmm0, (%0)\n\tmovdqu %%xmm1, (%1)" ::"r"(seen.xmm0), "r"(seen.xmm1) : "memory");
    uint32_t lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    seen.xcr0 = uint64_t{hi} << 32 | lo;
    asm volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1" ::: "memory");
    asm volatile("mov %0, %%cr4" ::"r"(cr4) : "memory");
    warden::arch::write_cr0(cr0);
    return ran;
}

}  // namespace

KTEST("snp negative: vector state and XCR0 do not leak between VMPL contexts") {
    warden::task::log_ring::flush(2'000'000);
    auto world = vmpl1::build();
    KCHECK(world.ok());
    if (!world.ok()) return;
    vmpl1::Data& d = *world->data;
    d.probe_vector = 1;
    d.xmm1_pattern[0] = 0x1111'2222'3333'4444, d.xmm1_pattern[1] = 0x5555'6666'7777'8888;
    const uint64_t pattern[2] = {0xa5a5'5a5a'0123'4567, 0x89ab'cdef'a5a5'5a5a};
    const bool interrupts = warden::arch::read_rflags() & (1u << 9);
    warden::arch::cli();
    Seen seen{};
    auto ran = run_with_vector_state(pattern, seen);
    if (interrupts) warden::arch::sti();
    KCHECK(ran.ok());
    uint64_t vmsa_xcr0;
    std::memcpy(&vmsa_xcr0, static_cast<uint8_t*>(warden::mm::phys_to_virt(world->vmsa)) + 0x3e8, 8);
    warden::log::raw("snp-negative: VMPL1 ran {} time(s); XMM0 there {:#x}:{:#x}", d.runs, d.xmm0_seen[1],
                     d.xmm0_seen[0]);
    warden::log::raw(
        "snp-negative: back at VMPL0: XMM0 {:#x}:{:#x}, XMM1 {:#x}:{:#x}, XCR0 {:#x}; VMPL1's VMSA XCR0 {:#x}",
        seen.xmm0[1], seen.xmm0[0], seen.xmm1[1], seen.xmm1[0], seen.xcr0, vmsa_xcr0);
    KCHECK(d.runs == 1);
    KCHECK(d.xmm0_seen[0] == 0 && d.xmm0_seen[1] == 0);                // VMPL1 starts in the init state
    KCHECK(seen.xmm0[0] == pattern[0] && seen.xmm0[1] == pattern[1]);  // VMPL0's XMM0 kept
    KCHECK(seen.xmm1[0] == 0 && seen.xmm1[1] == 0);                    // VMPL1's XMM1 not seen
    KCHECK(seen.xcr0 == 1);                                            // VMPL0's XCR0 (x87, from its VMSA)
    KCHECK(vmsa_xcr0 == 3);                                            // VMPL1's, stored in its VMSA page
}
