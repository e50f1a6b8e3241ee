// A negative image for the emulated SNP host: a page walk is private (APM
// vol. 2 15.34.5), so it needs the walking VMPL's rights on the table. The
// guest's VMPL points a PML4 entry, without the C-bit, at a frame of SVSM
// memory it has no rights on; its walk there must be refused by the RMP
// (the shared alias of the walked page gets the VMPL's private rights,
// none), never opened to every VMPL read-write. The snp suite requires the
// host's REFUSED line for vCPU 0 VMPL2 at that frame's shared GPA.
#include "mm/frames.hpp"
#include "svsm/guest.hpp"
#include "test/ktest.hpp"
#include "vmpl1_guest.hpp"

KTEST("snp negative: the guest's VMPL walks a page table in SVSM memory") {
    using namespace warden;
    task::log_ring::flush(2'000'000);
    auto world = vmpl1::build(guest::vmpl());
    if (!KCHECK(world.ok())) return;
    auto table = vmpl1::page();  // SVSM memory, no rights for the guest's VMPL
    if (!KCHECK(table.ok())) return;
    KCHECK(!guest::is_guest_memory(PhysRange{*table, kPageSize}));
    // The frame is a PDPT as the world's own, reached without the C-bit
    // through the PML4 entry after the world's (GVA 512 GiB + x reaches GPA x).
    auto* pml4 = mm::phys_to_virt<uint64_t>(world->pml4);
    const uint64_t data = world->data_page.raw(), slot = (data >> 39) & 511, gib = (data >> 30) & 511;
    const uint64_t pdpt = pml4[slot] & 0x000ffffffffff000 & ~platform::current().encryption_mask();
    mm::phys_to_virt<uint64_t>(*table)[gib] = mm::phys_to_virt<uint64_t>(PhysAddr(pdpt))[gib];
    pml4[slot + 1] = table->raw() | 0x23;  // P | RW | A, no C-bit
    world->data->read_from = (uint64_t{1} << 39) + data;
    log::raw("snp-negative: VMPL{} walks the SVSM frame {:#x} as its PDPT", guest::vmpl(), table->raw());
    task::log_ring::flush(2'000'000);
    (void)platform::current().run_vmpl(guest::vmpl());
    log::raw("snp-negative: VMPL{} came back after walking SVSM memory: the walk was not checked", guest::vmpl());
    KCHECK(false);
}
