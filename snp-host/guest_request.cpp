// The SNP guest request, forwarded to the emulated PSP (guest_request.hpp).
#include "guest_request.hpp"

#include <cstring>

#include "console.hpp"
#include "cpu.hpp"
#include "host_access.hpp"
#include "paging.hpp"
#include "psp.hpp"

namespace snp_host {
namespace {

namespace svm = warden::svm;
namespace sev = warden::sev;
constexpr uint64_t kPage = 4096;
constexpr size_t kCertEntrySize = 24;  // GUID, offset, length: an all-zero entry ends the table

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

const char* status_name(uint32_t s) {
    switch (s) {
    case warden::snp::kFwSuccess: return "SUCCESS";
    case warden::snp::kFwBadMeasurement: return "BAD_MEASUREMENT (the tag does not hold)";
    case warden::snp::kFwInvalidParam: return "INVALID_PARAM";
    case warden::snp::kFwAeadOverflow: return "AEAD_OFLOW (sequence number)";
    case warden::snp::kFwInvalidKey: return "INVALID_KEY";
    default: return "?";
    }
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
    // Copied, then handed to the PSP: the guest may change its pages meanwhile.
    alignas(64) static uint8_t request[kMaxCpus][kPage];
    alignas(64) static uint8_t response[kMaxCpus][kPage];
    std::memcpy(request[v.index], v.machine->guest.bytes(e.request_gpa, kPage).data(), kPage);
    const uint64_t start = cpu::rdtsc();
    const auto a = psp_guest_request(v, std::span<const uint8_t, kPage>(request[v.index], kPage),
                                     std::span<uint8_t, kPage>(response[v.index], kPage));
    const uint64_t us = (cpu::rdtsc() - start) * 1'000'000 / v.machine->chipset.tsc_hz;
    if (a.status == warden::snp::kFwSuccess) {
        std::memcpy(v.machine->guest.bytes(e.response_gpa, kPage).data(), response[v.index], kPage);
        // No certificates here: an empty table (KVM's answer with none).
        if (e.extended && e.data_pages != 0)
            std::memset(v.machine->guest.bytes(e.data_gpa, kCertEntrySize).data(), 0, kCertEntrySize);
        log("vCPU {} VMPL{}: {} (request {:#x}, response {:#x}): PSP: message type {} answered in {} us, its status "
            "{:#x} {}",
            v.index, v.vmpl, form, e.request_gpa, e.response_gpa, a.type, us, a.payload_status,
            status_name(a.payload_status));
    } else {
        log("vCPU {} VMPL{}: {} (request {:#x}, response {:#x}): PSP refused it in {} us: {:#x} {}, no response "
            "written",
            v.index, v.vmpl, form, e.request_gpa, e.response_gpa, us, a.status, status_name(a.status));
    }
    return {sev::kExitNoAction, sev::guest_request_status(0, a.status)};
}

}  // namespace snp_host
