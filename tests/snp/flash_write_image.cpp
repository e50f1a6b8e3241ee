// A negative image for the emulated SNP host with a firmware packed in: the
// launch measured the flash and Warden gives the guest's VMPL read and
// execute on it, never write (kernel/svsm/guest.cpp rights_in). The SVSM's
// own copies on the guest's behalf (a Calling Area, a PVALIDATE list, a
// reply at a GPA the guest names) must not write it either, or the guest
// writes its ROM through its SVSM. The snp suite requires the line saying
// the write was denied and the read allowed.
#include "log.hpp"
#include "svsm/guest.hpp"
#include "task/log_ring.hpp"
#include "test/ktest.hpp"

KTEST("snp negative: the SVSM writes none of the launched flash for the guest") {
    using namespace warden;
    const PhysRange fl = guest::flash();
    if (!KCHECK(fl.size != 0)) return;
    KCHECK(guest::is_validated(fl.base));
    uint8_t bytes[8] = {};
    const auto read = guest::read(fl.end() - sizeof bytes, bytes, sizeof bytes);
    const auto write = guest::write(fl.end() - sizeof bytes, bytes, sizeof bytes);
    log::raw("snp-negative: flash {:#x}..{:#x}: read {}, write {}", fl.base.raw(), fl.end().raw(),
             read ? "allowed" : "refused",
             write ? "allowed" : (write.error() == Error::kDenied ? "denied" : "refused"));
    task::log_ring::flush(2'000'000);
    KCHECK(read.ok());
    KCHECK(!write && write.error() == Error::kDenied);
}
