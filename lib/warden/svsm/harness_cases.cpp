// The harnesses' shared table of register-only SVSM calls (harness_cases.hpp).
#include "warden/svsm/harness_cases.hpp"

namespace warden::svsm::harness {

namespace {

constexpr uint32_t core(CoreCall c) { return static_cast<uint32_t>(c); }

// The SVSM spec's rules (58019; SPEC-FACTS 7) and Warden's answers
// (docs/svsm.md, "Core protocol coverage").
constexpr RegisterCase kCases[] = {
    {"unknown protocol", 7, 0, Arg::kZero, kErrUnsupportedProtocol},
    {"unknown core call", kProtocolCore, 8, Arg::kZero, kErrUnsupportedCall},
    {"CONFIGURE_VTOM change", kProtocolCore, core(CoreCall::kConfigureVtom), Arg::kZero, kErrInvalidRequest},
    {"DEPOSIT_MEM", kProtocolCore, core(CoreCall::kDepositMem), Arg::kList, kErrUnsupportedCall},
    {"WITHDRAW_MEM", kProtocolCore, core(CoreCall::kWithdrawMem), Arg::kList, kErrUnsupportedCall},
    {"REMAP_CA into SVSM memory", kProtocolCore, core(CoreCall::kRemapCa), Arg::kSvsm, kErrInvalidAddress},
    {"REMAP_CA misaligned", kProtocolCore, core(CoreCall::kRemapCa), Arg::kListPlus4, kErrInvalidParameter},
    {"REMAP_CA across a page", kProtocolCore, core(CoreCall::kRemapCa), Arg::kListAcrossPage, kErrInvalidParameter},
    {"REMAP_CA outside guest memory", kProtocolCore, core(CoreCall::kRemapCa), Arg::kOutside, kErrInvalidAddress},
    {"PVALIDATE list misaligned", kProtocolCore, core(CoreCall::kPvalidate), Arg::kListPlus4, kErrInvalidParameter},
    {"PVALIDATE list in SVSM memory", kProtocolCore, core(CoreCall::kPvalidate), Arg::kSvsm, kErrInvalidAddress},
};

}  // namespace

uint64_t resolve(Arg a, const Addresses& at) {
    switch (a) {
    case Arg::kZero: return 0;
    case Arg::kList: return at.list;
    case Arg::kListPlus4: return at.list + 4;
    case Arg::kListAcrossPage: return at.list + 4088 + 4;
    case Arg::kSvsm: return at.svsm;
    case Arg::kOutside: return at.outside;
    }
    return 0;
}

std::span<const RegisterCase> register_cases() { return kCases; }

}  // namespace warden::svsm::harness
