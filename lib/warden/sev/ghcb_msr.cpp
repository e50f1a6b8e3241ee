// GHCB MSR protocol responses.
#include "warden/sev/ghcb_msr.hpp"

namespace warden::sev::msr {

Result<SevInfo> decode_sev_info(uint64_t r) {
    if (code_of(r) != Code::kSevInfoResponse) return Fail(Error::kInvalidArgument);
    SevInfo i;
    i.max_version = static_cast<uint16_t>(r >> 48);
    i.min_version = static_cast<uint16_t>(r >> 32);
    i.c_bit = static_cast<uint8_t>(r >> 24);
    if (i.min_version > i.max_version) return Fail(Error::kBadVersion);
    return i;
}

Result<uint32_t> decode_cpuid(uint64_t r) {
    if (code_of(r) != Code::kCpuidResponse) return Fail(Error::kInvalidArgument);
    return static_cast<uint32_t>(r >> 32);
}

Result<void> check_register_ghcb(uint64_t r, uint64_t gfn) {
    if (code_of(r) != Code::kRegisterGhcbResponse) return Fail(Error::kInvalidArgument);
    if ((r >> 12) != gfn) return Fail(Error::kDenied);
    return {};
}

Result<void> check_page_state(uint64_t r) {
    if (code_of(r) != Code::kPageStateResponse) return Fail(Error::kInvalidArgument);
    return (r >> 32) == 0 ? Result<void>{} : Fail(Error::kDenied);
}

Result<void> check_run_vmpl(uint64_t r) {
    if (code_of(r) != Code::kRunVmplResponse) return Fail(Error::kInvalidArgument);
    return (r >> 32) == 0 ? Result<void>{} : Fail(Error::kDenied);
}

Result<uint64_t> decode_hv_features(uint64_t r) {
    if (code_of(r) != Code::kHvFeaturesResponse) return Fail(Error::kInvalidArgument);
    return r >> 12;
}

}  // namespace warden::sev::msr
