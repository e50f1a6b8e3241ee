// A negative image for the emulated SNP host (docs/snp-host.md): VMPL0 runs
// a VMPL1 context once, then writes XCR0 0 (x87 clear, which XSETBV
// refuses) into its VMSA page (SNP VMSA offset 0x3e8) and runs it again.
// VMRUN of that VMSA would fail; the host must refuse the RUN_VMPL, report
// it and stop, never load the value.
#include "test/ktest.hpp"
#include "vmpl1_guest.hpp"

KTEST("snp negative: RUN_VMPL of a VMSA whose XCR0 lacks x87 is refused") {
    warden::task::log_ring::flush(2'000'000);
    auto world = vmpl1::build();
    KCHECK(world.ok());
    if (!world.ok()) return;
    auto& p = warden::platform::current();
    KCHECK(p.run_vmpl(1).ok());
    const uint64_t bad_xcr0 = 0;
    std::memcpy(static_cast<uint8_t*>(warden::mm::phys_to_virt(world->vmsa)) + 0x3e8, &bad_xcr0, 8);
    warden::task::log_ring::flush(2'000'000);
    (void)p.run_vmpl(1);  // the host refuses it and ends the run here
    KCHECK(false);
}
