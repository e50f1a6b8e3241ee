// A negative image for the emulated SNP host (issue 17): the guest's VMPL
// never gets rights on SVSM memory (kernel/svsm grants only pages of the
// platform's guest regions, which exclude it); a VMPL2 read of the kernel
// image must be refused by the RMP. The snp suite requires the host's
// REFUSED line for vCPU 0 VMPL2 with the RMP's reason.
#include "boot/boot_info.hpp"
#include "svsm/guest.hpp"
#include "test/ktest.hpp"
#include "vmpl1_guest.hpp"

KTEST("snp negative: the guest's VMPL reads SVSM memory") {
    using namespace warden;
    task::log_ring::flush(2'000'000);
    const PhysRange svsm = guest::svsm_memory();
    KCHECK(!guest::is_guest_memory(PhysRange{svsm.base, kPageSize}));
    KCHECK(guest::pvalidate(svsm.base, false, true).error() == Error::kOutOfRange);  // never for the guest
    auto world = vmpl1::build(guest::vmpl());
    if (!KCHECK(world.ok())) return;
    world->data->read_from = boot::info().image.base.raw();
    log::raw("snp-negative: VMPL{} reads GPA {:#x}, the kernel image", guest::vmpl(), world->data->read_from);
    task::log_ring::flush(2'000'000);
    (void)platform::current().run_vmpl(guest::vmpl());
    log::raw("snp-negative: VMPL{} came back after reading SVSM memory: the RMP let it through", guest::vmpl());
    KCHECK(false);
}
