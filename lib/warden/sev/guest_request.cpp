// The guest's side of the SNP guest request (guest_request.hpp).
#include "warden/sev/guest_request.hpp"

namespace warden::sev {

Result<void> guest_request_outcome(uint64_t info1, uint64_t info2, bool extended) {
    const auto answer = static_cast<uint32_t>(info1);
    if (answer == kExitMalformedInput) return Fail(Error::kInvalidArgument);
    if (answer != kExitNoAction) return Fail(Error::kDenied);
    if (info2 == 0) return {};
    const auto vmm = static_cast<uint32_t>(info2 >> 32);
    if (vmm == kVmmErrBusy) return Fail(Error::kBusy);
    if (vmm == kVmmErrInvalidLen && extended) return Fail(Error::kOutOfRange);
    if (vmm != 0) return Fail(Error::kUnsupported);
    return Fail(Error::kDenied);  // the firmware's status: the PSP refused the message
}

Result<GuestRequestReply> guest_request(Hypervisor& hv, Ghcb& ghcb, const GuestRequest& r) {
    if ((r.request_gpa | r.response_gpa) & 0xfff) return Fail(Error::kInvalidArgument);
    if (r.extended && (r.data_gpa & 0xfff)) return Fail(Error::kInvalidArgument);
    ghcb.begin();
    if (r.extended) {
        ghcb.set(GhcbField::kRax, r.data_gpa);
        ghcb.set(GhcbField::kRbx, r.data_pages);
    }
    ghcb.set_exit(r.extended ? exit::kExtGuestRequest : exit::kGuestRequest, r.request_gpa, r.response_gpa);
    WARDEN_TRY_VOID(hv.vmgexit(ghcb));
    return GuestRequestReply{ghcb.get(GhcbField::kSwExitInfo1), ghcb.get(GhcbField::kSwExitInfo2),
                             ghcb.get(GhcbField::kRbx)};
}

}  // namespace warden::sev
