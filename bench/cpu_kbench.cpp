// CPU-level costs inside the kernel: an IPI round trip (call_on to another
// CPU and back) and, as the baseline measured in the same run, one port read
// (a VM exit under KVM). Figures are TSC cycles (QEMU-FACTS: not hardware
// cycles); their ratio is what compares across accelerators.
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/percpu.hpp"
#include "arch/x86_64/smp.hpp"
#include "boot/boot_info.hpp"
#include "test/ktest.hpp"

using namespace warden;

namespace {
uint64_t iterations() { return boot::info().cmdline.number("bench.iterations").value_or(1000); }
void nothing(void*) {}
}  // namespace

KTEST("bench: IPI round trip against a port read") {
    KCHECK(arch::online_cpus() >= 2);
    const uint64_t n = iterations();
    bool ok = true;
    uint64_t t0 = arch::rdtsc();
    for (uint64_t i = 0; i < n; ++i) ok = ok && arch::smp::call_on(1, nothing, nullptr).ok();
    const uint64_t ipi = (arch::rdtsc() - t0) / n;
    t0 = arch::rdtsc();
    for (uint64_t i = 0; i < n; ++i) (void)arch::inb(0x80);
    const uint64_t port = (arch::rdtsc() - t0) / n;
    log::raw("bench: ipi_round_trip {} cycles/op", ipi);
    log::raw("bench: port_read {} cycles/op", port);
    KCHECK(ok);
}
