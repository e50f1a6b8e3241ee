// AP bring-up (INIT, SIPI, SIPI: SDM Vol. 3A 9.4.4.1, or the platform's AP
// creation), each AP's own setup, and its arrival in the scheduler. Above
// every other kernel part: it runs the per-CPU steps of the boot sequence.
#include "smp/start_aps.hpp"

#include <atomic>
#include <cstring>

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpu_init.hpp"
#include "arch/x86_64/idt.hpp"
#include "arch/x86_64/percpu.hpp"
#include "arch/x86_64/smp.hpp"
#include "arch/x86_64/tsc.hpp"
#include "log.hpp"
#include "mm/address_space.hpp"
#include "mm/layout.hpp"
#include "mm/stacks.hpp"
#include "panic.hpp"
#include "platform/platform.hpp"
#include "task/sched.hpp"
#include "task/task.hpp"

extern "C" const char trampoline_start[], trampoline_end[], trampoline_params[];
extern "C" [[noreturn]] void ap_entry(unsigned index);

namespace warden::smp {
namespace {

using namespace warden::arch;
using arch::smp::kTrampolinePhys;

struct TrampolineParams {
    uint64_t cr3, cr4, cr0, efer, stack, entry, index, started;
};

arch::CpuStacks stacks[kMaxCpus];
constexpr uint32_t kMsrEfer = 0xc0000080;
constexpr uint64_t kEferLma = uint64_t{1} << 10;

TrampolineParams& params() {
    const uint64_t offset = static_cast<uint64_t>(trampoline_params - trampoline_start);
    return *mm::phys_to_virt<TrampolineParams>(PhysAddr(kTrampolinePhys + offset));
}

}  // namespace

void init() {
    arch::smp::init_ipis();
    mm::set_remote_invalidate(arch::smp::shootdown);
}

// Waits for online, with the time a hypervisor may take to schedule the vCPU.
unsigned start_aps(std::span<const uint32_t> apic_ids, uint64_t timeout_ms) {
    // Nothing to start: leave low memory alone. And only a platform that starts
    // APs at the trampoline gets one: under IGVM the page at 0x8000 is the
    // guest's, outside the direct map (the emulated SNP host found the copy
    // faulting there).
    const uint32_t bsp = this_cpu().apic_id;
    bool any_ap = false;
    for (uint32_t id : apic_ids) any_ap = any_ap || id != bsp;
    if (!any_ap) return 0;
    const bool trampoline = platform::current().starts_aps_at_trampoline();
    const VirtAddr tramp_va(kTrampolinePhys);
    if (trampoline) {
        const size_t size = static_cast<size_t>(trampoline_end - trampoline_start);
        std::memcpy(mm::phys_to_virt(PhysAddr(kTrampolinePhys)), trampoline_start, size);
        // The AP turns paging on while executing here: map the page 1:1, RX.
        if (!mm::kernel_mapper().map(tramp_va, PhysAddr(kTrampolinePhys), kPageSize,
                                     mm::MapFlags{.executable = true})) {
            log::error("smp: cannot map the trampoline");
            return 0;
        }
    }
    TrampolineParams without_trampoline{};  // the same values, for start_ap alone
    TrampolineParams& p = trampoline ? params() : without_trampoline;
    p.cr3 = read_cr3();
    p.cr4 = read_cr4();
    p.cr0 = read_cr0();
    p.efer = rdmsr(kMsrEfer) & ~kEferLma;  // LMA is the CPU's to set
    p.entry = reinterpret_cast<uint64_t>(&ap_entry);

    const uint32_t bsp_id = this_cpu().apic_id;
    unsigned next = 1, started = 0;
    for (uint32_t id : apic_ids) {
        if (id == bsp_id) continue;
        if (next == kMaxCpus) {
            log::warn("smp: more than {} CPUs; APIC ID {} and later stay off", kMaxCpus, id);
            break;
        }
        const unsigned index = next++;
        auto s = mm::allocate_cpu_stacks(index);
        if (!s) {
            log::error("smp: no stacks for cpu {}: {}", index, s.error());
            continue;
        }
        stacks[index] = *s;
        cpu(index).apic_id = id;
        p.stack = s->kernel.raw();
        p.index = index;
        p.started = 0;
        const uint64_t t0 = rdtsc();
        platform::Platform::ApStart start{.apic_id = id,
                                          .sipi_page = kTrampolinePhys >> 12,
                                          .started = reinterpret_cast<volatile uint64_t*>(&p.started),
                                          .entry = p.entry,
                                          .stack = p.stack,
                                          .arg = index,
                                          .cr0 = p.cr0,
                                          .cr3 = p.cr3,
                                          .cr4 = p.cr4,
                                          .efer = p.efer | kEferLma};
        if (auto r = platform::current().start_ap(start); !r) {
            log::error("smp: cannot start cpu {} (APIC ID {}): {}", index, id, r.error());
            continue;
        }
        if (!wait_until(cpu(index).online, true, timeout_ms * 1000)) {
            log::error("smp: cpu {} (APIC ID {}) did not come up within {} ms", index, id, timeout_ms);
            continue;
        }
        ++started;
        log::info("smp: cpu {} (APIC ID {}) online after {} us", index, id, tsc_delta_us(t0, cpu(index).online_tsc));
    }
    if (trampoline) (void)mm::kernel_mapper().unmap(tramp_va, kPageSize);  // and every online AP drops it (shootdown)
    return started;
}

}  // namespace warden::smp

// Where every AP arrives from the trampoline, on its own kernel stack.
extern "C" [[noreturn]] void ap_entry(unsigned index) {
    using namespace warden::arch;
    using warden::smp::stacks;
    PerCpu& c = cpu(index);
    init_this_cpu(index, c.apic_id);
    load_idt();
    init_cpu_tables(c, stacks[index]);
    if (auto r = warden::platform::current().init_cpu(index); !r) {
        warden::panic("smp: cpu {}: platform setup failed: {}", index, r.error());
    }
    apic::init_this_cpu();
    if (apic::this_apic_id() != c.apic_id) {
        warden::panic("smp: cpu {} expected APIC ID {} but has {}", index, c.apic_id, apic::this_apic_id());
    }
    warden::task::init_syscalls_this_cpu();
    warden::task::sched::init_this_cpu();
    apic::start_timer();
    mark_online(c);
    warden::task::sched::idle_loop();
}
