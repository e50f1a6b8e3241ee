// The SNP guest request (VMGEXIT 0x80000011, extended 0x80000012; GHCB spec
// 56421, "SNP Guest Request" and "SNP Extended Guest Request"): the guest
// names a request page and a response page, both shared; the hypervisor
// hands the (encrypted) message to the PSP and answers in SW_EXITINFO2 with
// the firmware's status in bits 31:0 and its own error in bits 63:32. The
// guest's side here; the host's answers are svm/guest_request.hpp, and the
// two are tested against each other.
#pragma once

#include "warden/sev/ghcb.hpp"
#include "warden/sev/page_state.hpp"

namespace warden::sev {

// SW_EXITINFO1[31:0] on return from any GHCB exit (GHCB spec 56421 2.3.4 and
// 4.1; Linux sev-common.h GHCB_HV_RESP_*): 0 no action, 1 an event to inject
// in SW_EXITINFO2, 2 malformed input with the reason in SW_EXITINFO2.
inline constexpr uint32_t kExitNoAction = 0, kExitIssueException = 1, kExitMalformedInput = 2;
// The reasons of kExitMalformedInput (Linux sev-common.h GHCB_ERR_*, "error
// codes related to GHCB input ... SW_EXITINFO1 field to 2").
enum class InputError : uint64_t {
    kNotRegistered = 1,
    kInvalidUsage = 2,
    kInvalidScratchArea = 3,
    kMissingInput = 4,
    kInvalidInput = 5,
    kInvalidEvent = 6,
};

// The hypervisor's error, SW_EXITINFO2[63:32]. The GHCB spec defines 1 (the
// extended request's certificate buffer is too small; RBX then holds the
// pages needed) and 2 (busy: retry later, for rate limiting), and asks the
// guest to treat any other non-zero value as an error. kVmmErrGeneric is the
// value Linux names for "any other" (uapi sev-guest.h
// SNP_GUEST_VMM_ERR_GENERIC, ~0U as proposed with KVM's certificate exits;
// an earlier revision used bit 31 (verify)): chosen to stay clear of codes
// the spec may add.
inline constexpr uint32_t kVmmErrInvalidLen = 1, kVmmErrBusy = 2, kVmmErrGeneric = 0xffffffff;

// SW_EXITINFO2 of a guest request (Linux SNP_GUEST_ERR(vmm_err, fw_err)).
constexpr uint64_t guest_request_status(uint32_t vmm_error, uint32_t fw_error) {
    return (uint64_t{vmm_error} << 32) | fw_error;
}

// What the exit fields said, as the Linux guest driver reads them
// (snp_issue_guest_request): SW_EXITINFO1 non-zero is an error of the
// exchange itself (kInvalidArgument for malformed input, kDenied else);
// then SW_EXITINFO2: 0 success; VMM busy kBusy (retry); VMM invalid length
// kOutOfRange (the extended form only; a plain request with it is an
// error like any other); any other VMM error kUnsupported; a firmware
// status alone kDenied (the PSP refused the message).
Result<void> guest_request_outcome(uint64_t info1, uint64_t info2, bool extended);

struct GuestRequest {
    uint64_t request_gpa = 0, response_gpa = 0;  // shared pages, 4 KiB aligned
    bool extended = false;
    uint64_t data_gpa = 0, data_pages = 0;  // extended: RAX and RBX, the certificate buffer
};
struct GuestRequestReply {
    uint64_t info1 = 0, info2 = 0, rbx = 0;
};

// Issues the request through the GHCB and returns what the hypervisor put
// in the exit fields (and RBX), for guest_request_outcome. kInvalidArgument
// before any exit for a page that is not 4 KiB aligned.
Result<GuestRequestReply> guest_request(Hypervisor& hv, Ghcb& ghcb, const GuestRequest& r);

}  // namespace warden::sev
