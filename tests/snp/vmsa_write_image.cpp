// A negative image for the emulated SNP host (docs/snp-host.md): a VMPL1
// context writes to its own VMSA page. Warden made that page a VMSA page
// with no rights for VMPL1 (start_guest_vcpu), so the hardware's RMP check
// faults the write with a nested page fault, RMP and VMPL bits set (APM
// vol. 2 15.36.10); the host must refuse it with the RMP's reason.
#include "test/ktest.hpp"
#include "vmpl1_guest.hpp"

KTEST("snp negative: a VMPL1 write to its own VMSA page is refused") {
    warden::task::log_ring::flush(2'000'000);
    auto world = vmpl1::build();
    KCHECK(world.ok());
    if (!world.ok()) return;
    world->data->write_to = world->vmsa.raw();
    (void)warden::platform::current().run_vmpl(1);
    warden::log::raw("snp-negative: VMPL1 came back after writing its VMSA page: the host let it through");
    KCHECK(false);
}
