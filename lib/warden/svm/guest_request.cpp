// A host's answer to the SNP guest request without the PSP path (guest_request.hpp).
#include "warden/svm/guest_request.hpp"

namespace warden::svm {

GuestRequestCheck check_guest_request(const GuestRequestExit& e) {
    if (e.extended && (!e.rax_valid || !e.rbx_valid)) return GuestRequestCheck::kMissingInput;
    if ((e.request_gpa | e.response_gpa) & 0xfff) return GuestRequestCheck::kInvalidInput;
    if (e.request_gpa == e.response_gpa) return GuestRequestCheck::kInvalidInput;
    if (e.extended && (e.data_gpa & 0xfff)) return GuestRequestCheck::kInvalidInput;
    return GuestRequestCheck::kNone;
}

ExitAnswer answer_guest_request_without_psp(const GuestRequestExit& e, bool pages_usable) {
    switch (check_guest_request(e)) {
    case GuestRequestCheck::kMissingInput: return malformed_input(sev::InputError::kMissingInput);
    case GuestRequestCheck::kInvalidInput: return malformed_input(sev::InputError::kInvalidInput);
    case GuestRequestCheck::kNone: break;
    }
    if (!pages_usable) return malformed_input(sev::InputError::kInvalidInput);
    return {sev::kExitNoAction, sev::guest_request_status(sev::kVmmErrGeneric, 0)};
}

}  // namespace warden::svm
