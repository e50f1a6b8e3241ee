// A negative image for the emulated SNP host (docs/snp-host.md): Warden
// registers one of its own private, validated frames as its GHCB (the MSR
// protocol does not look at the page) and then exits through it. The GHCB
// is shared memory by definition (GHCB spec 56421 2.3.2): a hypervisor
// reading this page gets the guest's ciphertext, and writing its answers
// back would be a write into private memory, which the RMP refuses (APM
// vol. 2 15.36.10, Table 15-39 host row). The host must refuse the exit
// with a report line before it reads the page.
#include "arch/x86_64/cpu.hpp"
#include "mm/frames.hpp"
#include "test/ktest.hpp"
#include "warden/sev/ghcb_msr.hpp"

namespace msr = warden::sev::msr;

KTEST("snp negative: a VMGEXIT through a GHCB in a private page") {
    auto frame = warden::mm::alloc_frames(0);  // private and validated: never shared
    KCHECK(frame.ok());
    if (!frame.ok()) return;
    warden::arch::cli();  // no #VC on this CPU may use the GHCB MSR meanwhile
    const uint64_t gfn = frame->raw() >> 12;
    warden::arch::wrmsr(msr::kGhcbMsr, msr::register_ghcb_request(gfn));
    warden::arch::vmgexit();
    KCHECK(msr::check_register_ghcb(warden::arch::rdmsr(msr::kGhcbMsr), gfn).ok());
    warden::arch::wrmsr(msr::kGhcbMsr, frame->raw());
    warden::arch::vmgexit();  // refused: the run ends here
    KCHECK(false);
}
