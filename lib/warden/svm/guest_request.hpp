// The hypervisor's checks of an SNP guest request (GHCB spec 56421, "SNP
// Guest Request"; sev/guest_request.hpp is the guest's side): the inputs
// checked as KVM checks them (sev_es_validate_vmgexit,
// snp_handle_ext_guest_req), a bad one answered as malformed input. The
// emulated host then hands a good one to its PSP (snp/psp_guest_request);
// a host without the PSP path answers it "unsupported" as a hypervisor
// error (answer_guest_request_without_psp, which the host tests drive the
// guest's side with). Where the pages lie is the caller's question (the
// RMP's): `pages_usable` carries its answer.
#pragma once

#include "warden/sev/guest_request.hpp"

namespace warden::svm {

struct GuestRequestExit {
    uint64_t request_gpa = 0, response_gpa = 0;  // SW_EXITINFO1, SW_EXITINFO2
    bool extended = false;
    bool rax_valid = false, rbx_valid = false;  // extended: marked in the valid bitmap
    uint64_t data_gpa = 0, data_pages = 0;      // extended: RAX, RBX
};

struct ExitAnswer {
    uint64_t info1 = 0, info2 = 0;
};

constexpr ExitAnswer malformed_input(sev::InputError why) {
    return {sev::kExitMalformedInput, static_cast<uint64_t>(why)};
}

// The checks that need no memory: kMissingInput when the extended form's
// RAX or RBX is not marked valid; kInvalidInput for a request or response
// page (or certificate buffer) that is not 4 KiB aligned, or a request page
// that is also the response page (KVM refuses both). kNone: well formed.
enum class GuestRequestCheck : uint8_t { kNone, kMissingInput, kInvalidInput };
GuestRequestCheck check_guest_request(const GuestRequestExit& e);

// The whole answer: malformed input for a check that fails, or when the
// pages are not usable (outside guest memory, or not shared: the host would
// read ciphertext and write into the guest's private memory); otherwise
// no action with the hypervisor's generic error and no firmware status.
ExitAnswer answer_guest_request_without_psp(const GuestRequestExit& e, bool pages_usable);

}  // namespace warden::svm
