// A negative image for the emulated SNP host (issue 17): CREATE_VCPU
// through kernel/svsm takes a page of guest RAM as a VMSA, which leaves the
// guest's VMPL no rights on it (and the RMP's VMSA bit set); a VMPL2 write
// to it must be refused by the RMP. The snp suite requires the host's
// REFUSED line for vCPU 0 VMPL2 with the RMP's reason.
#include <cstring>

#include "svsm/guest.hpp"
#include "test/ktest.hpp"
#include "vmpl1_guest.hpp"

KTEST("snp negative: the guest's VMPL writes a page CREATE_VCPU took as a VMSA") {
    using namespace warden;
    task::log_ring::flush(2'000'000);
    const PhysAddr page = guest::memory().base + (uint64_t{8} << 20);
    auto v = guest::pvalidate(page, true, true);
    if (!KCHECK(v && *v == svsm::PvalidateOutcome::kChanged)) return;
    const PhysAddr vmsa = page + 0x3000, caa = page + 0x1000;
    uint8_t head[svsm::kVmsaCheckedBytes] = {};
    head[0x0ca] = guest::vmpl();  // SPEC-FACTS.md 6: VMPL, EFER (SVME), SEV_FEATURES
    const uint64_t efer = uint64_t{1} << 12, features = guest::sev_features();
    std::memcpy(head + 0x0d0, &efer, 8);
    std::memcpy(head + 0x3b0, &features, 8);
    KCHECK(guest::write(vmsa, head, sizeof head).ok());
    if (!KCHECK(guest::create_vcpu(vmsa, caa, arch::apic::this_apic_id()).ok())) return;
    auto world = vmpl1::build(guest::vmpl());
    if (!KCHECK(world.ok())) return;
    world->data->write_to = vmsa.raw();
    log::raw("snp-negative: VMPL{} writes GPA {:#x}, taken as a VMSA by CREATE_VCPU", guest::vmpl(), vmsa.raw());
    task::log_ring::flush(2'000'000);
    (void)platform::current().run_vmpl(guest::vmpl());
    log::raw("snp-negative: VMPL{} came back after writing a live VMSA page: the RMP let it through", guest::vmpl());
    KCHECK(false);
}
