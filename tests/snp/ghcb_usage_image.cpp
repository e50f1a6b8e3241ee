// A negative image for the emulated SNP host (docs/snp-host.md): Warden
// makes a shared frame its GHCB, marks the page's usage field 1 (not the
// standard layout, GHCB spec 56421 2.3.2) and exits through it. The host
// serves only the standard layout: it must refuse the exit, by name.
#include <cstring>

#include "arch/x86_64/cpu.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "platform/platform.hpp"
#include "test/ktest.hpp"
#include "warden/sev/ghcb.hpp"
#include "warden/sev/ghcb_msr.hpp"

namespace msr = warden::sev::msr;

KTEST("snp negative: a GHCB whose usage is not the standard layout") {
    using namespace warden;
    auto frame = mm::alloc_frames(0);
    KCHECK(frame.ok());
    if (!frame.ok()) return;
    KCHECK(platform::current().make_shared(*frame, 1).ok());
    auto* page = mm::phys_to_virt<uint8_t>(*frame);
    KCHECK(mm::kernel_mapper()
               .protect(VirtAddr(reinterpret_cast<uint64_t>(page)), kPageSize,
                        mm::MapFlags{.writable = true, .global = true, .encrypted = false})
               .ok());
    std::memset(page, 0, kPageSize);
    auto* ghcb = reinterpret_cast<sev::Ghcb*>(page);
    ghcb->begin();
    ghcb->set_exit(sev::exit::kHvFeatures, 0, 0);
    const uint32_t usage = 1;
    std::memcpy(page + sev::kGhcbUsage, &usage, sizeof usage);
    arch::cli();  // no #VC on this CPU may use the GHCB MSR meanwhile
    const uint64_t gfn = frame->raw() >> 12;
    arch::wrmsr(msr::kGhcbMsr, msr::register_ghcb_request(gfn));
    arch::vmgexit();
    KCHECK(msr::check_register_ghcb(arch::rdmsr(msr::kGhcbMsr), gfn).ok());
    arch::wrmsr(msr::kGhcbMsr, frame->raw());
    arch::vmgexit();  // refused: the run ends here
    KCHECK(false);
}
