#include <doctest/doctest.h>

#include "warden/sev/ghcb_msr.hpp"

using namespace warden;
using namespace warden::sev::msr;

TEST_CASE("ghcb msr: codes and MSR number follow GHCB spec 56421 (SPEC-FACTS 4)") {
    CHECK(kGhcbMsr == 0xc0010130);
    CHECK(static_cast<int>(Code::kSevInfoResponse) == 0x001);
    CHECK(static_cast<int>(Code::kSevInfoRequest) == 0x002);
    CHECK(static_cast<int>(Code::kCpuidRequest) == 0x004);
    CHECK(static_cast<int>(Code::kRegisterGhcbRequest) == 0x012);
    CHECK(static_cast<int>(Code::kPageStateRequest) == 0x014);
    CHECK(static_cast<int>(Code::kRunVmplRequest) == 0x016);
    CHECK(static_cast<int>(Code::kHvFeaturesRequest) == 0x080);
    CHECK(static_cast<int>(Code::kTerminateRequest) == 0x100);
}

TEST_CASE("ghcb msr: requests put each field where the spec says") {
    CHECK(sev_info_request() == 0x002);
    CHECK(cpuid_request(0x8000001f, CpuidRegister::kEbx) == 0x8000001f'40000004ull);
    CHECK(cpuid_request(1, CpuidRegister::kEdx) == 0x00000001'c0000004ull);
    CHECK(register_ghcb_request(0x12345) == 0x12345012ull);
    CHECK(*page_state_request(0x7fe00, PageState::kShared) == ((2ull << 52) | (0x7fe00ull << 12) | 0x014));
    CHECK(*page_state_request(1, PageState::kPrivate) == ((1ull << 52) | 0x1014));
    CHECK(page_state_request(1ull << 40, PageState::kShared).error() == Error::kOutOfRange);
    CHECK(run_vmpl_request(1) == 0x1'00000016ull);
    CHECK(hv_features_request() == 0x080);
    CHECK(terminate_request(kReasonSetGeneral, kReasonSnpFeatures) == 0x20100);
    CHECK(terminate_request(1, 0xff) == 0xff1100);
}

TEST_CASE("ghcb msr: responses decode, and a wrong code is refused") {
    const auto info = decode_sev_info((2ull << 48) | (1ull << 32) | (51ull << 24) | 0x001);
    REQUIRE(info.ok());
    CHECK(info->max_version == 2);
    CHECK(info->min_version == 1);
    CHECK(info->c_bit == 51);
    CHECK(decode_sev_info((1ull << 48) | (2ull << 32) | 0x001).error() == Error::kBadVersion);
    CHECK(decode_sev_info(0x005).error() == Error::kInvalidArgument);
    CHECK(*decode_cpuid(0xdeadbeef'00000005ull) == 0xdeadbeef);
    CHECK(decode_cpuid(0xdeadbeef'00000004ull).error() == Error::kInvalidArgument);
    CHECK(check_register_ghcb(0x12345013, 0x12345).ok());
    CHECK(check_register_ghcb(0xfffffffffffff013, 0x12345).error() == Error::kDenied);
    CHECK(check_page_state(0x015).ok());
    CHECK(check_page_state(0x1'00000015ull).error() == Error::kDenied);
    CHECK(check_run_vmpl(0x017).ok());
    CHECK(check_run_vmpl(0x7'00000017ull).error() == Error::kDenied);
    CHECK(*decode_hv_features((kHvFeatureSnp | kHvFeatureApCreation) << 12 | 0x081) == 3);
    CHECK(decode_hv_features(0x080).error() == Error::kInvalidArgument);
}
