// Host CPUs and the vCPUs they run (smp.hpp). vCPU i runs on host CPU i,
// whose APIC ID the guest sees through the passed-through xAPIC.
#include "smp.hpp"

#include <atomic>
#include <cstring>

#include "console.hpp"
#include "cpu.hpp"
#include "idt.hpp"
#include "psp.hpp"
#include "paging.hpp"
#include "vcpu.hpp"

extern "C" const char ap_trampoline_start[], ap_trampoline_end[];

namespace snp_host {
namespace {

// xAPIC registers (SDM vol. 3 table 11-1), uncached in the host's tables.
constexpr uint64_t kApic = 0xfee00000;
constexpr uint32_t kApicIcrLow = 0x300, kApicIcrHigh = 0x310;
constexpr uint32_t kApicIrr = 0x200, kApicIrrWords = 8, kApicRegStride = 0x10;
constexpr uint32_t kIcrInit = 0x4500, kIcrStartup = 0x4600, kIcrPending = 1u << 12;

volatile uint32_t& apic_reg(uint32_t off) { return *reinterpret_cast<volatile uint32_t*>(kApic + off); }

void send_ipi(uint32_t apic_id, uint32_t low) {
    apic_reg(kApicIcrHigh) = apic_id << 24;
    apic_reg(kApicIcrLow) = low;
    while (apic_reg(kApicIcrLow) & kIcrPending) asm volatile("pause");
}

void spin_tsc(uint64_t cycles) {
    const uint64_t t0 = cpu::rdtsc();
    while (cpu::rdtsc() - t0 < cycles) asm volatile("pause");
}

std::atomic<bool> online[kMaxCpus];
uint32_t apic_ids[kMaxCpus];

// AP creation's hand-off: the creating vCPU copies and checks the VMSA, then
// publishes it; the target CPU builds its VMCB from that copy.
struct Slot {
    warden::igvm::VmsaPage vmsa;
    std::atomic<bool> requested{false};
    std::atomic<bool> running{false};
};
Slot slots[kMaxCpus];
Vcpu vcpus[kMaxCpus][4];  // per vCPU, one context per VMPL
Machine* the_machine = nullptr;

}  // namespace

bool lapic_interrupt_pending() {
    for (uint32_t i = 0; i < kApicIrrWords; ++i)
        if (apic_reg(kApicIrr + i * kApicRegStride) != 0) return true;
    return false;
}

uint32_t this_apic_id() { return cpu::cpuid(1, 0).ebx >> 24; }

void copy_ap_trampoline() {
    const size_t n = static_cast<size_t>(ap_trampoline_end - ap_trampoline_start);
    std::memcpy(reinterpret_cast<void*>(kApTrampoline), ap_trampoline_start, n);
}

unsigned start_host_cpus(unsigned count) {
    online[0] = true;
    apic_ids[0] = this_apic_id();
    auto* params = reinterpret_cast<volatile uint64_t*>(kApParams);
    unsigned up = 1;
    for (unsigned i = 1; i < count && i < kMaxCpus; ++i) {
        params[0] = host_cr3();
        params[1] = stack_top(i, 0);
        params[2] = i;
        // INIT, then STARTUP at the trampoline's page, twice (SDM 8.4.4.1).
        send_ipi(i, kIcrInit);
        spin_tsc(10'000'000);
        for (int sipi = 0; sipi < 2 && !online[i].load(); ++sipi) {
            send_ipi(i, kIcrStartup | (kApTrampoline >> 12));
            spin_tsc(2'000'000);
        }
        for (int wait = 0; wait < 1000 && !online[i].load(); ++wait) spin_tsc(1'000'000);
        if (!online[i].load()) {
            log("host cpu {} (APIC ID {}) did not come up", i, i);
            continue;
        }
        ++up;
    }
    return up;
}

Vcpu& vcpu(unsigned index) { return vcpus[index][0]; }
Vcpu& context(unsigned index, unsigned vmpl) { return vcpus[index][vmpl]; }
void set_machine(Machine& m) { the_machine = &m; }

int host_cpu_for_apic_id(uint32_t apic_id) {
    for (unsigned i = 0; i < kMaxCpus; ++i)
        if (online[i].load() && apic_ids[i] == apic_id) return static_cast<int>(i);
    return -1;
}

unsigned online_apic_ids(uint32_t (&out)[kMaxCpus]) {
    unsigned n = 0;
    for (unsigned i = 0; i < kMaxCpus; ++i)
        if (online[i].load()) out[n++] = apic_ids[i];
    return n;
}

bool request_vcpu(unsigned cpu_index, const warden::igvm::VmsaPage& vmsa) {
    Slot& s = slots[cpu_index];
    if (s.running.load() || s.requested.load()) return false;
    s.vmsa = vmsa;
    s.requested.store(true, std::memory_order_release);
    return true;
}

}  // namespace snp_host

extern "C" [[noreturn]] void host_ap_main(uint64_t index) {
    using namespace snp_host;
    const unsigned i = static_cast<unsigned>(index);
    cpu_tables_init(i);
    psp_cpu_init(i);
    apic_ids[i] = this_apic_id();
    online[i].store(true, std::memory_order_release);
    Slot& s = slots[i];
    // Each AP creation at VMPL0 starts the vCPU from its VMSA; after an AP
    // reset hold it waits here for the next one.
    for (;;) {
        while (!s.requested.load(std::memory_order_acquire)) asm volatile("pause");
        s.running.store(true);
        Vcpu& v = vcpus[i][0];
        v.index = i;
        vcpu_init(v, *the_machine, s.vmsa);
        vcpu_run(v);
        s.running.store(false);
        s.requested.store(false, std::memory_order_release);
    }
}
