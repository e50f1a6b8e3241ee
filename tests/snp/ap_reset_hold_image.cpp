// An image for the emulated SNP host (docs/snp-host.md): vCPU 1 asks for AP
// reset hold (GHCB MSR protocol 0x006) and is held; vCPU 0 then restarts it
// by AP creation at VMPL0 from a fresh VMSA (a tiny world of its own,
// tests/snp/vmpl1_guest.hpp, whose stub counts its run and spins). The
// held vCPU never answers Warden again: the image ends right after.
#include "arch/x86_64/percpu.hpp"
#include "arch/x86_64/smp.hpp"
#include "arch/x86_64/tsc.hpp"
#include "test/ktest.hpp"
#include "vmpl1_guest.hpp"

namespace {

void hold(void*) {
    warden::arch::wrmsr(0xc0010130, 0x006);  // AP reset hold request (GHCB spec 2.3.1)
    warden::arch::vmgexit();
    for (;;) warden::arch::pause();  // not reached: held, then restarted elsewhere
}

}  // namespace

KTEST("snp: an AP held by AP reset hold is restarted by AP creation") {
    using namespace warden;
    task::log_ring::flush(2'000'000);
    KCHECK(arch::online_cpus() == 2);
    if (arch::online_cpus() != 2) return;
    const uint32_t apic_id = arch::cpu(1).apic_id;
    auto held = arch::smp::call_on(1, hold, nullptr);
    log::raw("snp-hold: vCPU 1 asked for AP reset hold; call_on answered {}", held ? "ok" : "no answer");
    KCHECK(!held.ok());  // held: it cannot answer
    auto world = vmpl1::build(0, apic_id);
    KCHECK(world.ok());
    if (!world) return;
    volatile const uint64_t* runs = &world->data->runs;
    const uint64_t t0 = arch::rdtsc();
    while (*runs == 0 && arch::tsc_delta_us(t0, arch::rdtsc()) < 2'000'000) arch::pause();
    log::raw("snp-hold: vCPU 1 ran {} time(s) from its new VMSA after the hold", *runs);
    KCHECK(*runs == 1);
}
