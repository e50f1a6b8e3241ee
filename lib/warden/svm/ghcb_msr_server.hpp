// The hypervisor's side of the GHCB MSR protocol (GHCB spec 56421 2.3.1;
// SPEC-FACTS 4): a guest's request decoded with every field checked, and
// the responses encoded. The client side is sev/ghcb_msr.hpp; the two are
// tested against each other. The MSR value comes from the guest.
#pragma once

#include "warden/result.hpp"
#include "warden/sev/ghcb_msr.hpp"

namespace warden::svm {

struct MsrRequest {
    sev::msr::Code code{};
    uint32_t cpuid_function = 0;         // kCpuidRequest
    uint8_t cpuid_register = 0;          // 0 EAX, 1 EBX, 2 ECX, 3 EDX
    uint64_t gfn = 0;                    // kRegisterGhcbRequest, kPageStateRequest
    uint8_t page_operation = 0;          // kPageStateRequest: 1 private, 2 shared
    uint8_t vmpl = 0;                    // kRunVmplRequest
    uint8_t reason_set = 0, reason = 0;  // kTerminateRequest
};

// kUnsupported: a code that is not a request (or unknown); kInvalidArgument:
// reserved bits set (CPUID bits 29:12, a page-state operation other than
// 1/2 or bits 63:56 set, run-VMPL bits 31:12 or 63:40, a VMPL above 3).
Result<MsrRequest> decode_request(uint64_t value);

// Responses (GHCB spec 56421 2.3.1, table of MSR protocol codes).
constexpr uint64_t sev_info_response(uint16_t max_version, uint16_t min_version, uint8_t c_bit) {
    return (uint64_t{max_version} << 48) | (uint64_t{min_version} << 32) | (uint64_t{c_bit} << 24) |
           static_cast<uint64_t>(sev::msr::Code::kSevInfoResponse);
}
constexpr uint64_t cpuid_response(uint32_t value, uint8_t reg) {
    return (uint64_t{value} << 32) | (uint64_t{reg & 3u} << 30) | static_cast<uint64_t>(sev::msr::Code::kCpuidResponse);
}
constexpr uint64_t register_ghcb_response(uint64_t gfn) {
    return (gfn << 12) | static_cast<uint64_t>(sev::msr::Code::kRegisterGhcbResponse);
}
inline constexpr uint64_t kRegisterGhcbFailed = ~uint64_t{0} << 12 | 0x013;  // all ones GFN: refused
constexpr uint64_t page_state_response(uint32_t error) {
    return (uint64_t{error} << 32) | static_cast<uint64_t>(sev::msr::Code::kPageStateResponse);
}
constexpr uint64_t run_vmpl_response(uint32_t error) {
    return (uint64_t{error} << 32) | static_cast<uint64_t>(sev::msr::Code::kRunVmplResponse);
}
constexpr uint64_t hv_features_response(uint64_t features) {
    return (features << 12) | static_cast<uint64_t>(sev::msr::Code::kHvFeaturesResponse);
}

}  // namespace warden::svm
