// The per-CPU areas: a fixed array (no allocation, usable from the first
// instruction of kernel_main), indexed by bring-up order.
#include "arch/x86_64/percpu.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/tsc.hpp"

namespace warden::arch {
namespace {

PerCpu cpus[kMaxCpus];
std::atomic<unsigned> online_count{0};

}  // namespace

void init_this_cpu(unsigned index, uint32_t apic_id) {
    PerCpu& c = cpus[index];
    c.self = &c;
    c.index = index;
    c.apic_id = apic_id;
    wrmsr(kMsrGsBase, reinterpret_cast<uint64_t>(&c));
    wrmsr(kMsrKernelGsBase, 0);  // user GS base, until tasks exist
}

PerCpu& cpu(unsigned index) { return cpus[index]; }

unsigned online_cpus() { return online_count.load(std::memory_order_acquire); }

void mark_online(PerCpu& c) {
    c.online_tsc = rdtsc();
    c.online.store(true, std::memory_order_release);
    online_count.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace warden::arch
