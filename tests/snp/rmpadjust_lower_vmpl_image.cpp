// A negative image for the emulated SNP host (docs/snp-host.md): a VMPL1
// context asks RMPADJUST to give VMPL2 more than VMPL1 itself holds on a
// page (read + execute where it holds read + write), then less (read only).
// A VMPL cannot grant a right it does not hold (APM vol. 2 15.36.7): the
// first answers FAIL_PERMISSION (2), the second succeeds (0). Both are
// return codes, not faults, so the image prints them, and the snp suite
// requires them with the host's RMPADJUST counter of vCPU 0 VMPL1 (exactly
// these two) and the round trip VMPL0 -> VMPL1 -> VMPL0 by RUN_VMPL.
#include "test/ktest.hpp"
#include "vmpl1_guest.hpp"

KTEST("snp negative: RMPADJUST from VMPL1 cannot grant more than VMPL1 holds") {
    warden::task::log_ring::flush(2'000'000);
    auto world = vmpl1::build();
    KCHECK(world.ok());
    if (!world.ok()) return;
    auto ran = warden::platform::current().run_vmpl(1);
    KCHECK(ran.ok());
    const vmpl1::Data& d = *world->data;
    warden::log::raw("snp-negative: VMPL1 ran {} time(s) and came back by RUN_VMPL", d.runs);
    warden::log::raw("snp-negative: RMPADJUST by VMPL1 granting VMPL2 more than it holds: eax {}", d.eax_more);
    warden::log::raw("snp-negative: RMPADJUST by VMPL1 granting VMPL2 less than it holds: eax {}", d.eax_less);
    KCHECK(d.runs == 1);
    KCHECK(d.eax_more == warden::sev::kFailPermission);
    KCHECK(d.eax_less == 0);
}
