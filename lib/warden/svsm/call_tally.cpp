// The request loop's tally of a vCPU's calls (call_tally.hpp).
#include "warden/svsm/call_tally.hpp"

#include "warden/svsm/attest.hpp"
#include "warden/svsm/core.hpp"

namespace warden::svsm {

const char* call_name(uint32_t protocol, uint32_t call) {
    if (protocol == kProtocolCore) {
        switch (static_cast<CoreCall>(call)) {
        case CoreCall::kRemapCa: return "CORE_REMAP_CA";
        case CoreCall::kPvalidate: return "CORE_PVALIDATE";
        case CoreCall::kCreateVcpu: return "CORE_CREATE_VCPU";
        case CoreCall::kDeleteVcpu: return "CORE_DELETE_VCPU";
        case CoreCall::kDepositMem: return "CORE_DEPOSIT_MEM";
        case CoreCall::kWithdrawMem: return "CORE_WITHDRAW_MEM";
        case CoreCall::kQueryProtocol: return "CORE_QUERY_PROTOCOL";
        case CoreCall::kConfigureVtom: return "CORE_CONFIGURE_VTOM";
        }
        return nullptr;
    }
    if (protocol == kProtocolAttestation) {
        if (call == kAttestServices) return "ATTEST_SERVICES";
        if (call == kAttestSingleService) return "ATTEST_SINGLE_SERVICE";
    }
    return nullptr;
}

bool CallTally::record(uint64_t rax) {
    ++total_;
    for (size_t i = 0; i < used_; ++i) {
        if (kinds_[i].rax == rax) {
            ++kinds_[i].count;
            return false;
        }
    }
    if (used_ == kKinds) {
        ++other_;
        return other_ == 1;
    }
    kinds_[used_++] = Kind{rax, 1};
    return true;
}

uint64_t CallTally::count(uint64_t rax) const {
    for (size_t i = 0; i < used_; ++i) {
        if (kinds_[i].rax == rax) return kinds_[i].count;
    }
    return 0;
}

void CallTally::describe(fmt::Sink& out) const {
    fmt::format(out, "{} calls:", total_);
    for (size_t i = 0; i < used_; ++i) {
        const auto protocol = static_cast<uint32_t>(kinds_[i].rax >> 32);
        const auto call = static_cast<uint32_t>(kinds_[i].rax);
        const char* sep = i == 0 ? " " : ", ";
        if (const char* name = call_name(protocol, call))
            fmt::format(out, "{}{} {}", sep, name, kinds_[i].count);
        else
            fmt::format(out, "{}{}:{} {}", sep, protocol, call, kinds_[i].count);
    }
    if (other_ != 0) fmt::format(out, ", other {}", other_);
}

}  // namespace warden::svsm
