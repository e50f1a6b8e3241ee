#include <doctest/doctest.h>

#include "warden/svm/ghcb_msr_server.hpp"

using namespace warden;
using namespace warden::svm;
namespace msr = warden::sev::msr;

TEST_CASE("svm ghcb_msr_server: the client's requests decode to what was asked") {
    auto info = decode_request(msr::sev_info_request());
    REQUIRE(info);
    CHECK(info->code == msr::Code::kSevInfoRequest);
    auto c = decode_request(msr::cpuid_request(0x8000001f, msr::CpuidRegister::kEbx));
    REQUIRE(c);
    CHECK(c->code == msr::Code::kCpuidRequest);
    CHECK(c->cpuid_function == 0x8000001f);
    CHECK(c->cpuid_register == 1);
    auto reg = decode_request(msr::register_ghcb_request(0x3f00));
    REQUIRE(reg);
    CHECK(reg->gfn == 0x3f00);
    auto psc = decode_request(*msr::page_state_request(0x12345, msr::PageState::kShared));
    REQUIRE(psc);
    CHECK(psc->gfn == 0x12345);
    CHECK(psc->page_operation == 2);
    auto run = decode_request(msr::run_vmpl_request(2));
    REQUIRE(run);
    CHECK(run->vmpl == 2);
    auto t = decode_request(msr::terminate_request(3, 6));
    REQUIRE(t);
    CHECK(t->reason_set == 3);
    CHECK(t->reason == 6);
    CHECK(decode_request(msr::hv_features_request())->code == msr::Code::kHvFeaturesRequest);
}

TEST_CASE("svm ghcb_msr_server: responses the client accepts") {
    auto info = msr::decode_sev_info(sev_info_response(2, 1, 47));
    REQUIRE(info);
    CHECK(info->max_version == 2);
    CHECK(info->min_version == 1);
    CHECK(info->c_bit == 47);
    CHECK(*msr::decode_cpuid(cpuid_response(0x1b, 0)) == 0x1b);
    CHECK(msr::check_register_ghcb(register_ghcb_response(0x3f00), 0x3f00));
    CHECK_FALSE(msr::check_register_ghcb(kRegisterGhcbFailed, 0x3f00));
    CHECK(msr::check_page_state(page_state_response(0)));
    CHECK_FALSE(msr::check_page_state(page_state_response(1)));
    CHECK(msr::check_run_vmpl(run_vmpl_response(0)));
    CHECK(*msr::decode_hv_features(hv_features_response(msr::kHvFeatureSnp | msr::kHvFeatureApCreation)) == 3);
}

TEST_CASE("svm ghcb_msr_server: malformed requests, with the exact error") {
    CHECK(decode_request(0x000).error() == Error::kUnsupported);
    CHECK(decode_request(0x001).error() == Error::kUnsupported);  // a response, not a request
    CHECK(decode_request(0xfff).error() == Error::kUnsupported);
    CHECK(decode_request(0x004 | (1u << 12)).error() == Error::kInvalidArgument);           // CPUID reserved bit
    CHECK(decode_request(0x014 | (uint64_t{3} << 52)).error() == Error::kInvalidArgument);  // PSMASH via MSR
    CHECK(decode_request(0x014 | (uint64_t{1} << 52) | (uint64_t{1} << 60)).error() == Error::kInvalidArgument);
    CHECK(decode_request(0x016 | (uint64_t{4} << 32)).error() == Error::kInvalidArgument);  // VMPL 4
    CHECK(decode_request(0x016 | (1u << 12)).error() == Error::kInvalidArgument);
}
