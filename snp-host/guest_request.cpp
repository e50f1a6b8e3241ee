// The SNP guest request without the PSP path (guest_request.hpp).
#include "guest_request.hpp"

#include "console.hpp"
#include "host_access.hpp"

namespace snp_host {
namespace {

namespace svm = warden::svm;
constexpr uint64_t kPage = 4096;

// Why the pages a forwarding host would touch are not usable, or nullptr.
// KVM reads the request page and writes the response page (and, for the
// extended form, the certificate table) through the guest's shared memory.
const char* pages_refusal(const Vcpu& v, const svm::GuestRequestExit& e, const char*& which) {
    which = "request page";
    if (const char* why = host_access_refusal(v, e.request_gpa, kPage, HostUse::kRead)) return why;
    which = "response page";
    if (const char* why = host_access_refusal(v, e.response_gpa, kPage, HostUse::kWrite)) return why;
    if (e.extended && e.data_pages != 0) {
        which = "certificate buffer";
        if (e.data_pages > v.machine->guest.size / kPage) return "larger than guest memory";
        if (const char* why = host_access_refusal(v, e.data_gpa, e.data_pages * kPage, HostUse::kWrite)) return why;
    }
    return nullptr;
}

}  // namespace

svm::ExitAnswer answer_guest_request(Vcpu& v, const svm::GuestRequestExit& e) {
    const char* form = e.extended ? "extended guest request" : "guest request";
    if (svm::check_guest_request(e) != svm::GuestRequestCheck::kNone) {
        const auto a = svm::answer_guest_request_without_psp(e, true);
        log("vCPU {} VMPL{}: {} (request {:#x}, response {:#x}): malformed input {}", v.index, v.vmpl, form,
            e.request_gpa, e.response_gpa, a.info2);
        return a;
    }
    const char* which = "";
    if (const char* why = pages_refusal(v, e, which)) {
        log("vCPU {} VMPL{}: {} (request {:#x}, response {:#x}): {}: {}: answered as invalid input", v.index, v.vmpl,
            form, e.request_gpa, e.response_gpa, which, why);
        return svm::answer_guest_request_without_psp(e, false);
    }
    const auto a = svm::answer_guest_request_without_psp(e, true);
    log("vCPU {} VMPL{}: {} (request {:#x}, response {:#x}): no PSP path, answered unsupported (exit_info_2 {:#x})",
        v.index, v.vmpl, form, e.request_gpa, e.response_gpa, a.info2);
    return a;
}

}  // namespace snp_host
