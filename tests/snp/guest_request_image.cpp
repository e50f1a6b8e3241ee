// A negative-style image for the emulated SNP host (docs/snp-host.md):
// Warden issues SNP guest requests (VMGEXIT 0x80000011) through its own
// GHCB. The host has no PSP path yet, so it must answer as the GHCB spec
// lets a hypervisor without one: a well-formed request with SW_EXITINFO1 0
// and a hypervisor error in SW_EXITINFO2[63:32] (the guest driver's
// "unsupported"), and a request whose response page is private with the
// malformed-input answer (SW_EXITINFO1 2, SW_EXITINFO2 5, invalid input):
// the host would have written the guest's private memory. Neither is a
// fault, so the host prints no report line and the run goes on: the image
// prints what it got, and the snp suite requires those lines.
#include "arch/x86_64/cpu.hpp"
#include "log.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "platform/platform.hpp"
#include "test/ktest.hpp"
#include "warden/sev/ghcb_msr.hpp"
#include "warden/sev/guest_request.hpp"

namespace sev = warden::sev;

namespace {

// VMGEXIT with the GHCB page the MSR names.
class ThisGhcb final : public sev::Hypervisor {
public:
    explicit ThisGhcb(uint64_t gpa) : gpa_(gpa) {}
    warden::Result<void> vmgexit(sev::Ghcb&) override {
        warden::arch::wrmsr(sev::msr::kGhcbMsr, gpa_);
        warden::arch::vmgexit();
        return {};
    }

private:
    uint64_t gpa_;
};

// This CPU's registered GHCB (the MSR holds its GPA between exits; the page
// is mapped shared in the direct map), used with interrupts off so that no
// #VC on this CPU reuses it meanwhile.
warden::Result<sev::GuestRequestReply> request(uint64_t req, uint64_t resp) {
    const bool interrupts = warden::arch::read_rflags() & (1u << 9);
    warden::arch::cli();
    const uint64_t gpa = warden::arch::rdmsr(sev::msr::kGhcbMsr);
    ThisGhcb hv(gpa);
    auto r = sev::guest_request(hv, *warden::mm::phys_to_virt<sev::Ghcb>(warden::PhysAddr(gpa)),
                                sev::GuestRequest{.request_gpa = req, .response_gpa = resp});
    if (interrupts) warden::arch::sti();
    return r;
}

warden::Result<warden::PhysAddr> shared_frame() {
    auto f = warden::mm::alloc_frames(0);
    if (!f.ok()) return f;
    WARDEN_TRY_VOID(warden::platform::current().make_shared(*f, 1));
    return f;
}

}  // namespace

KTEST("snp negative: the guest request is answered unsupported without a PSP") {
    auto req = shared_frame();
    auto resp = shared_frame();
    auto private_resp = warden::mm::alloc_frames(0);
    KCHECK(req.ok() && resp.ok() && private_resp.ok());
    if (!req.ok() || !resp.ok() || !private_resp.ok()) return;

    auto good = request(req->raw(), resp->raw());
    KCHECK(good.ok());
    if (!good.ok()) return;
    const auto outcome = sev::guest_request_outcome(good->info1, good->info2, false);
    warden::log::raw("snp-negative: guest request: exit_info_1 {:#x} exit_info_2 {:#x}: {}", good->info1, good->info2,
                     outcome ? "success" : warden::error_name(outcome.error()));
    KCHECK(!outcome && outcome.error() == warden::Error::kUnsupported);

    auto bad = request(req->raw(), private_resp->raw());
    KCHECK(bad.ok());
    if (!bad.ok()) return;
    const auto refused = sev::guest_request_outcome(bad->info1, bad->info2, false);
    warden::log::raw("snp-negative: guest request to a private response page: exit_info_1 {:#x} exit_info_2 {:#x}: {}",
                     bad->info1, bad->info2, refused ? "success" : warden::error_name(refused.error()));
    KCHECK(bad->info1 == sev::kExitMalformedInput);
    KCHECK(bad->info2 == static_cast<uint64_t>(sev::InputError::kInvalidInput));
}
