// The GHCB MSR protocol (GHCB spec 56421 section 2.3.1; SPEC-FACTS.md 4):
// requests and responses exchanged through MSR 0xC0010130 before (and
// besides) a GHCB page. The low 12 bits are the code, the rest the data.
// Responses come from the hypervisor: decode() checks the code first.
#pragma once

#include "warden/bits.hpp"
#include "warden/result.hpp"

namespace warden::sev::msr {

inline constexpr uint32_t kGhcbMsr = 0xc0010130;

enum class Code : uint16_t {
    kSevInfoResponse = 0x001,
    kSevInfoRequest = 0x002,
    kCpuidRequest = 0x004,
    kCpuidResponse = 0x005,
    kApResetHoldRequest = 0x006,
    kApResetHoldResponse = 0x007,
    kRegisterGhcbRequest = 0x012,
    kRegisterGhcbResponse = 0x013,
    kPageStateRequest = 0x014,
    kPageStateResponse = 0x015,
    kRunVmplRequest = 0x016,
    kRunVmplResponse = 0x017,
    kHvFeaturesRequest = 0x080,
    kHvFeaturesResponse = 0x081,
    kTerminateRequest = 0x100,
};

using CodeField = BitField<uint64_t, 0, 12>;
constexpr Code code_of(uint64_t value) { return static_cast<Code>(CodeField::get(value)); }

enum class CpuidRegister : uint8_t { kEax = 0, kEbx = 1, kEcx = 2, kEdx = 3 };
enum class PageState : uint8_t { kPrivate = 1, kShared = 2 };

// Requests.
constexpr uint64_t sev_info_request() { return static_cast<uint64_t>(Code::kSevInfoRequest); }
constexpr uint64_t cpuid_request(uint32_t function, CpuidRegister reg) {
    return (uint64_t{function} << 32) | (uint64_t{static_cast<uint8_t>(reg)} << 30) |
           static_cast<uint64_t>(Code::kCpuidRequest);
}
constexpr uint64_t register_ghcb_request(uint64_t gfn) {
    return (gfn << 12) | static_cast<uint64_t>(Code::kRegisterGhcbRequest);
}
// GFNs above bit 51 do not fit the field: kOutOfRange.
constexpr Result<uint64_t> page_state_request(uint64_t gfn, PageState op) {
    if (gfn >> 40) return Fail(Error::kOutOfRange);
    return (uint64_t{static_cast<uint8_t>(op)} << 52) | (gfn << 12) | static_cast<uint64_t>(Code::kPageStateRequest);
}
constexpr uint64_t run_vmpl_request(uint8_t vmpl) {
    return (uint64_t{vmpl} << 32) | static_cast<uint64_t>(Code::kRunVmplRequest);
}
constexpr uint64_t hv_features_request() { return static_cast<uint64_t>(Code::kHvFeaturesRequest); }
// Termination: reason-code set (4 bits) and code (8 bits).
inline constexpr uint8_t kReasonSetGeneral = 0;
inline constexpr uint8_t kReasonGeneral = 0, kReasonProtocolVersion = 1, kReasonSnpFeatures = 2;
constexpr uint64_t terminate_request(uint8_t reason_set, uint8_t reason) {
    return (uint64_t{reason} << 16) | (uint64_t{reason_set & 0xfu} << 12) |
           static_cast<uint64_t>(Code::kTerminateRequest);
}

// Responses, each checked for its code (kInvalidArgument otherwise).
struct SevInfo {
    uint16_t max_version = 0, min_version = 0;
    uint8_t c_bit = 0;
};
Result<SevInfo> decode_sev_info(uint64_t response);
Result<uint32_t> decode_cpuid(uint64_t response);
// The GFN the hypervisor registered must be the one asked for (kDenied otherwise).
Result<void> check_register_ghcb(uint64_t response, uint64_t gfn);
Result<void> check_page_state(uint64_t response);  // kDenied when the error field is not 0
Result<void> check_run_vmpl(uint64_t response);
inline constexpr uint64_t kHvFeatureSnp = bit(0);
inline constexpr uint64_t kHvFeatureApCreation = bit(1);
// The APIC ID list: GET_APIC_IDS (VMGEXIT 0x80000017, svm/apic_ids.hpp).
inline constexpr uint64_t kHvFeatureApicIdList = bit(4);
// Multiple VMPLs: AP creation at a VMPL and RUN_VMPL (Linux sev-common.h
// GHCB_HV_FT_SNP_MULTI_VMPL, which a guest below VMPL0 requires).
inline constexpr uint64_t kHvFeatureMultiVmpl = bit(5);
Result<uint64_t> decode_hv_features(uint64_t response);  // the 52-bit feature bitmap

}  // namespace warden::sev::msr
