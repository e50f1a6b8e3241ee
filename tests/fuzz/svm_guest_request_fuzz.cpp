// libFuzzer target: a host's answer to an SNP guest request without the PSP
// path, over exit fields the guest chooses, read back by the guest's side.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "warden/sev/guest_request.hpp"
#include "warden/svm/guest_request.hpp"

namespace sev = warden::sev;
namespace svm = warden::svm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 33) return 0;
    uint64_t f[4];
    std::memcpy(f, data, sizeof f);
    const uint8_t flags = data[32];
    const svm::GuestRequestExit e{.request_gpa = f[0],
                                  .response_gpa = f[1],
                                  .extended = (flags & 1) != 0,
                                  .rax_valid = (flags & 2) != 0,
                                  .rbx_valid = (flags & 4) != 0,
                                  .data_gpa = f[2],
                                  .data_pages = f[3]};
    const bool usable = flags & 8;
    const svm::ExitAnswer a = svm::answer_guest_request_without_psp(e, usable);
    if (a.info1 == sev::kExitNoAction) {
        // Only a well-formed request on usable pages gets past the checks...
        if (!usable || svm::check_guest_request(e) != svm::GuestRequestCheck::kNone) __builtin_trap();
        if ((e.request_gpa | e.response_gpa) & 0xfff || e.request_gpa == e.response_gpa) __builtin_trap();
        // ...and it is answered "unsupported", never success.
        if (a.info2 != sev::guest_request_status(sev::kVmmErrGeneric, 0)) __builtin_trap();
    } else if (a.info1 == sev::kExitMalformedInput) {
        if (a.info2 != static_cast<uint64_t>(sev::InputError::kMissingInput) &&
            a.info2 != static_cast<uint64_t>(sev::InputError::kInvalidInput))
            __builtin_trap();
    } else {
        __builtin_trap();
    }
    if (sev::guest_request_outcome(a.info1, a.info2, e.extended)) __builtin_trap();  // without a PSP: never success
    return 0;
}
