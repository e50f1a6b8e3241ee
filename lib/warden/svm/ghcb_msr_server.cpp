// Server-side decoding of GHCB MSR requests (ghcb_msr_server.hpp).
#include "warden/svm/ghcb_msr_server.hpp"

namespace warden::svm {

using sev::msr::Code;

Result<MsrRequest> decode_request(uint64_t v) {
    MsrRequest r;
    r.code = sev::msr::code_of(v);
    const uint64_t data = v >> 12;
    switch (r.code) {
    case Code::kSevInfoRequest:
    case Code::kHvFeaturesRequest:
    case Code::kApResetHoldRequest: return r;
    case Code::kCpuidRequest:
        if (data & 0x3ffff) return Fail(Error::kInvalidArgument);  // bits 29:12 reserved
        r.cpuid_register = static_cast<uint8_t>((v >> 30) & 3);
        r.cpuid_function = static_cast<uint32_t>(v >> 32);
        return r;
    case Code::kRegisterGhcbRequest: r.gfn = data; return r;
    case Code::kPageStateRequest:
        r.gfn = data & ((uint64_t{1} << 40) - 1);
        r.page_operation = static_cast<uint8_t>((v >> 52) & 0xf);
        if ((v >> 56) != 0 || (r.page_operation != 1 && r.page_operation != 2)) return Fail(Error::kInvalidArgument);
        return r;
    case Code::kRunVmplRequest:
        if ((data & 0xfffff) != 0 || (v >> 40) != 0) return Fail(Error::kInvalidArgument);
        r.vmpl = static_cast<uint8_t>(v >> 32);
        if (r.vmpl > 3) return Fail(Error::kInvalidArgument);
        return r;
    case Code::kTerminateRequest:
        r.reason_set = static_cast<uint8_t>((v >> 12) & 0xf);
        r.reason = static_cast<uint8_t>(v >> 16);
        return r;
    default: return Fail(Error::kUnsupported);
    }
}

}  // namespace warden::svm
