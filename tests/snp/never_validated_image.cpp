// A negative image for the emulated SNP host (docs/snp-host.md): a VMPL1
// context reads a page of guest RAM that nobody ever validated (2 MiB below
// the SVSM's memory: neither the launch nor Warden placed or validated it).
// The hardware raises #VC 0x404 (a private access to a page not validated,
// APM vol. 2 15.36.10) before the VMPL check; VMPL1 has no IDT here, so the
// host then refuses to deliver it. The snp suite requires the host's #VC
// line for vCPU 0 VMPL1 at that GPA.
#include "boot/boot_info.hpp"
#include "test/ktest.hpp"
#include "vmpl1_guest.hpp"

KTEST("snp negative: a VMPL1 read of a guest page never validated") {
    warden::task::log_ring::flush(2'000'000);
    const auto svsm = warden::boot::info().launch.svsm;
    KCHECK(svsm.base.raw() >= (uint64_t{4} << 20));
    auto world = vmpl1::build();
    KCHECK(world.ok());
    if (!world.ok()) return;
    world->data->read_from = svsm.base.raw() - (uint64_t{2} << 20);
    warden::log::raw("snp-negative: VMPL1 reads GPA {:#x}, never validated", world->data->read_from);
    warden::task::log_ring::flush(2'000'000);
    (void)warden::platform::current().run_vmpl(1);
    warden::log::raw("snp-negative: VMPL1 came back after reading a page never validated: the host let it through");
    KCHECK(false);
}
