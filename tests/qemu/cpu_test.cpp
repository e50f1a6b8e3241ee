// Boot tests for CPU bring-up, exception reports, per-CPU data, the APIC,
// cross-CPU calls and TLB shootdown (issue 5). The QEMU suite runs this image
// with --smp 4, so tests that need other CPUs can insist on them.
#include <atomic>

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/fault_recovery.hpp"
#include "arch/x86_64/idt.hpp"
#include "arch/x86_64/percpu.hpp"
#include "arch/x86_64/smp.hpp"
#include "arch/x86_64/tsc.hpp"
#include "boot/boot_info.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "mm/stacks.hpp"
#include "platform/platform.hpp"
#include "test/ktest.hpp"

using namespace warden;

namespace {

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

volatile int zero = 0;
volatile int seven = 7;  // an unknown numerator: 1 / x compiles to a compare, not a divide
volatile int sink_value;
void divide_by_zero(void*) { sink_value = seven / zero; }
void breakpoint(void*) { arch::int3(); }
void invalid_opcode(void*) { arch::ud2(); }
void non_canonical(void*) { sink_value = *reinterpret_cast<volatile int*>(0x8000000000000000ull); }
void unmapped(void*) { sink_value = *reinterpret_cast<volatile int*>(0x1000); }

// CPUID 0x40000000: the hypervisor's signature ("KVMKVMKVM\0\0\0" for KVM).
bool under_kvm() {
    if (!test_bit(arch::cpuid(1).ecx, 31)) return false;  // no hypervisor present
    const auto r = arch::cpuid(0x40000000);
    return r.ebx == 0x4b4d564b && r.ecx == 0x564b4d56 && r.edx == 0x4d;
}

struct Expected {
    void (*fn)(void*);
    unsigned vector;
    const char* text;
};

}  // namespace

KTEST("exceptions: each class is reported with name, vector, error, RIP, RSP and CPU") {
    const Expected cases[] = {
        {divide_by_zero, 0, "divide error (#DE, vector 0) error 0x0"},
        {breakpoint, 3, "breakpoint (#BP, vector 3) error 0x0"},
        {invalid_opcode, 6, "invalid opcode (#UD, vector 6) error 0x0"},
        {non_canonical, 13, "general protection (#GP, vector 13) error 0x0"},
        {unmapped, 14, "page fault (#PF, vector 14) error 0x0 at 0x1000 [read, page not present, supervisor]"},
    };
    for (const Expected& e : cases) {
        if (e.vector == 3 && under_kvm()) {
            // This machine's KVM (the kvm_pvm module) never delivers #BP to the
            // guest: the int3 re-executes forever. TCG checks the #BP report.
            log::raw("# skipped #BP under KVM (not delivered by kvm_pvm; see docs/architecture.md)");
            continue;
        }
        arch::FaultReport r;
        const bool faulted = arch::run_catching_faults(e.fn, nullptr, r);
        KCHECK(faulted);
        KCHECK(r.vector == e.vector);
        KCHECK(contains(r.view(), e.text));
        KCHECK(contains(r.view(), ", RIP 0x"));
        KCHECK(contains(r.view(), ", RSP 0x"));
        KCHECK(contains(r.view(), "cpu 0, task kernel"));
        if (!faulted || !contains(r.view(), e.text)) log::raw("# vector {}: report was: {}", e.vector, r.view());
    }
}

namespace {
[[gnu::noinline]] uint64_t recurse_deep(uint64_t depth) {
    volatile char pad[512];
    pad[0] = static_cast<char>(depth);
    if (depth > 1'000'000) return 0;
    return recurse_deep(depth + 1) + pad[0];
}
mm::Stack small_stack;
void overflow_small(void*) { (void)recurse_deep(0); }
void run_on_small_stack(void*) { arch::call_on_stack(overflow_small, nullptr, small_stack.top.raw()); }
}  // namespace

KTEST("exceptions: #DF runs on its IST stack") {
    auto s = mm::allocate_stack("ktest-df", 0, 1);
    KCHECK(s.ok());
    if (!s) return;
    small_stack = *s;
    arch::FaultReport r;
    KCHECK(arch::run_catching_faults(run_on_small_stack, nullptr, r));
    KCHECK(r.vector == 8);
    const uint64_t ist_top = arch::this_cpu().tables.tss.ist[arch::kIstDoubleFault - 1];
    KCHECK(ist_top != 0);
    KCHECK(r.handler_rsp < ist_top && r.handler_rsp >= ist_top - 2 * kPageSize);
    KCHECK(contains(r.view(), "double fault (#DF, vector 8)"));
    KCHECK(contains(r.view(), "stack guard page hit (cpu 0, stack ktest-df)"));
}

namespace {
struct CpuFacts {
    unsigned index;
    uint32_t apic_id;
    uint64_t gs_self;
    uint64_t ticks_before, ticks_after;
};
void read_facts(void* p) {
    auto* f = static_cast<CpuFacts*>(p);
    f->index = arch::this_cpu().index;
    f->apic_id = arch::apic::this_apic_id();
    f->gs_self = reinterpret_cast<uint64_t>(arch::this_cpu().self);
}
void read_ticks(void* p) { *static_cast<uint64_t*>(p) = arch::this_cpu().ticks.load(); }
}  // namespace

KTEST("smp: every CPU answers with its own per-CPU area and APIC ID") {
    KCHECK(arch::online_cpus() == 4);  // the suite boots this image with --smp 4
    for (unsigned i = 1; i < arch::online_cpus(); ++i) {
        CpuFacts f{};
        KCHECK(arch::smp::call_on(i, read_facts, &f).ok());
        KCHECK(f.index == i);
        KCHECK(f.apic_id == arch::cpu(i).apic_id);
        KCHECK(f.gs_self == reinterpret_cast<uint64_t>(&arch::cpu(i)));
    }
    KCHECK(arch::smp::call_on(arch::online_cpus(), read_facts, nullptr).error() == Error::kBusy);
}

KTEST("apic: the timer ticks on every application processor") {
    for (unsigned i = 1; i < arch::online_cpus(); ++i) {
        uint64_t before = 0, after = 0;
        KCHECK(arch::smp::call_on(i, read_ticks, &before).ok());
        // Asks until the AP's count moves, for up to 2 s of TSC time (200 ticks at
        // 100 Hz): on a loaded host QEMU may not run the AP's thread for a while,
        // and a fixed 50 ms wait failed there (CI, load 5 on 2 cores).
        const uint64_t t0 = arch::rdtsc();
        do {
            for (const uint64_t t1 = arch::rdtsc(); arch::tsc_delta_us(t1, arch::rdtsc()) < 10'000;) arch::pause();
            KCHECK(arch::smp::call_on(i, read_ticks, &after).ok());
        } while (after <= before && arch::tsc_delta_us(t0, arch::rdtsc()) < 2'000'000);
        KCHECK(after > before);
    }
}

KTEST("idt: an interrupt nobody handles is counted, not fatal") {
    KCHECK(arch::online_cpus() >= 2);
    const uint64_t before = arch::unexpected_interrupts();
    arch::apic::send_fixed(arch::cpu(1).apic_id, 0x80);
    const uint64_t t0 = arch::rdtsc();
    while (arch::unexpected_interrupts() == before && arch::tsc_delta_us(t0, arch::rdtsc()) < 1'000'000) arch::pause();
    KCHECK(arch::unexpected_interrupts() == before + 1);
    KCHECK(arch::cpu(1).online.load());
}

namespace {
VirtAddr shared_va(mm::kWindowsBase + 0x100000);
void read_shared(void* out) { *static_cast<uint64_t*>(out) = *reinterpret_cast<volatile uint64_t*>(shared_va.raw()); }
}  // namespace

KTEST("tlb: a kernel mapping changed on one CPU is seen changed on all others") {
    KCHECK(arch::online_cpus() >= 2);
    auto a = mm::alloc_zeroed(0);
    auto b = mm::alloc_zeroed(0);
    KCHECK((a.ok() && b.ok()));
    if (!a || !b) return;
    *mm::phys_to_virt<uint64_t>(*a) = 111;
    *mm::phys_to_virt<uint64_t>(*b) = 222;
    const mm::MapFlags rw{.writable = true};
    KCHECK(mm::kernel_mapper().map(shared_va, *a, kPageSize, rw).ok());
    for (unsigned i = 1; i < arch::online_cpus(); ++i) {
        uint64_t v = 0;
        KCHECK(arch::smp::call_on(i, read_shared, &v).ok());
        KCHECK(v == 111);  // each AP now has the translation in its TLB
    }
    KCHECK(mm::kernel_mapper().unmap(shared_va, kPageSize).ok());
    KCHECK(mm::kernel_mapper().map(shared_va, *b, kPageSize, rw).ok());
    for (unsigned i = 1; i < arch::online_cpus(); ++i) {
        uint64_t v = 0;
        KCHECK(arch::smp::call_on(i, read_shared, &v).ok());
        KCHECK(v == 222);  // a stale TLB entry would still say 111
    }
    KCHECK(mm::kernel_mapper().unmap(shared_va, kPageSize).ok());
    mm::free_frames(*a, 0);
    mm::free_frames(*b, 0);
}

KTEST("platform: native here, with no encryption and SNP-only calls refused sensibly") {
    platform::Platform& p = platform::current();
    if (boot::info().kind == boot::BootKind::kIgvm) {
        // The SNP equivalent: the C-bit of the boot block is the mask, a page
        // of its own validates again (unchanged), and bad arguments are refused
        // before any instruction.
        KCHECK(std::string_view(p.name()) == "sev-snp");
        KCHECK(boot::info().launch.c_bit != 0);
        KCHECK(p.encryption_mask() == uint64_t{1} << boot::info().launch.c_bit);
        auto frame = mm::alloc_frames(0);
        KCHECK(frame.ok());
        if (!frame) return;
        KCHECK(p.validate(*frame, mm::PageSize::k4K, true).ok());
        if (!frame->is_aligned(kLargePageSize))
            KCHECK(p.validate(*frame, mm::PageSize::k2M, true).error() == Error::kMisaligned);
        KCHECK(p.set_rmp_permissions(*frame, 0, platform::kRmpRead).error() == Error::kInvalidArgument);
        KCHECK(p.make_shared(*frame + 8, 1).error() == Error::kMisaligned);
        mm::free_frames(*frame, 0);
        return;
    }
    KCHECK(std::string_view(p.name()) == "native");
    KCHECK(p.encryption_mask() == 0);
    KCHECK(p.validate(PhysAddr(0x1000), mm::PageSize::k4K, true).ok());
    KCHECK(p.validate(PhysAddr(0x1000), mm::PageSize::k2M, true).error() == Error::kMisaligned);
    KCHECK(p.set_rmp_permissions(PhysAddr(0x1000), 0, platform::kRmpRead).error() == Error::kInvalidArgument);
    KCHECK(p.make_shared(PhysAddr(0x1008), 1).error() == Error::kMisaligned);
    KCHECK(p.init_cpu(arch::this_cpu().index).ok());  // nothing to share or register
}
