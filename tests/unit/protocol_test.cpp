#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <vector>

#include "warden/sev/protocol.hpp"

using namespace warden;
using namespace warden::sev;

namespace {

// A hypervisor on the MSR protocol: answers with whatever `answer` returns,
// and records every request in order.
class FakeMsr final : public MsrChannel {
public:
    uint64_t exchange(uint64_t request) override {
        requests.push_back(request);
        return answer(request);
    }
    std::function<uint64_t(uint64_t)> answer;
    std::vector<uint64_t> requests;
};

class FakeValidator final : public Validator {
public:
    Result<Validation> pvalidate(PhysAddr page, bool huge, bool valid) override {
        calls.push_back({page.raw(), huge, valid});
        return Validation::kChanged;
    }
    struct Call {
        uint64_t page;
        bool huge, valid;
    };
    std::vector<Call> calls;
};

uint64_t sev_info(uint16_t max, uint16_t min, uint8_t cbit) {
    return (uint64_t{max} << 48) | (uint64_t{min} << 32) | (uint64_t{cbit} << 24) | 0x001;
}

class RecordingHv final : public Hypervisor {
public:
    Result<void> vmgexit(Ghcb& g) override {
        code = g.get(GhcbField::kSwExitCode);
        info1 = g.get(GhcbField::kSwExitInfo1);
        info2 = g.get(GhcbField::kSwExitInfo2);
        rax_valid = g.is_valid(GhcbField::kRax);
        rax = g.get(GhcbField::kRax);
        g.set(GhcbField::kSwExitInfo1, refuse ? 1 : 0);
        return {};
    }
    uint64_t code = 0, info1 = 0, info2 = 0, rax = 0;
    bool rax_valid = false, refuse = false;
};

}  // namespace

TEST_CASE("protocol: negotiation asks for SEV information, then features") {
    FakeMsr ch;
    ch.answer = [](uint64_t req) -> uint64_t {
        if (req == 0x002) return sev_info(2, 1, 51);
        if (req == 0x080) return (uint64_t{0x3} << 12) | 0x081;
        return 0;
    };
    auto n = negotiate(ch, 51);
    REQUIRE(n.ok());
    CHECK(n->version == 2);
    CHECK(n->features == 3);
    CHECK(ch.requests == std::vector<uint64_t>{0x002, 0x080});
}

TEST_CASE("protocol: a hypervisor outside version 2, with another C-bit, without SNP or misanswering is refused") {
    auto run = [](uint64_t info, uint64_t features) {
        FakeMsr ch;
        ch.answer = [&](uint64_t req) { return req == 0x002 ? info : features; };
        return negotiate(ch, 51).error();
    };
    const uint64_t snp = (uint64_t{1} << 12) | 0x081;
    CHECK(run(sev_info(1, 1, 51), snp) == Error::kBadVersion);
    CHECK(run(sev_info(5, 3, 51), snp) == Error::kBadVersion);
    CHECK(run(sev_info(1, 2, 51), snp) == Error::kBadVersion);  // min above max
    CHECK(run(sev_info(2, 2, 47), snp) == Error::kInvalidArgument);
    CHECK(run(sev_info(2, 2, 51), 0x081) == Error::kUnsupported);
    CHECK(run(sev_info(2, 2, 51), 0x005) == Error::kInvalidArgument);  // a CPUID answer to a features request
    CHECK(run(0x003, snp) == Error::kInvalidArgument);
}

TEST_CASE("protocol: CPUID over the MSR protocol") {
    FakeMsr ch;
    ch.answer = [](uint64_t req) { return (uint64_t{(req >> 30) & 3} + 0x100) << 32 | 0x005; };
    CHECK(*cpuid_msr(ch, 0x8000001f, msr::CpuidRegister::kEbx) == 0x101);
    CHECK(ch.requests[0] == ((uint64_t{0x8000001f} << 32) | (uint64_t{1} << 30) | 0x004));
    ch.answer = [](uint64_t) { return uint64_t{0x007}; };
    CHECK(cpuid_msr(ch, 0, msr::CpuidRegister::kEax).error() == Error::kInvalidArgument);
}

TEST_CASE("protocol: a GHCB page is rescinded before it is shared, then registered") {
    FakeMsr ch;
    FakeValidator v;
    ch.answer = [](uint64_t req) -> uint64_t {
        if ((req & 0xfff) == 0x014) return 0x015;                      // page state: success
        if ((req & 0xfff) == 0x012) return (req & ~0xfffull) | 0x013;  // echo the GFN
        return 0;
    };
    REQUIRE(share_page_msr(ch, v, PhysAddr(0x1234000)).ok());
    REQUIRE(v.calls.size() == 1);
    CHECK((v.calls[0].page == 0x1234000 && !v.calls[0].huge && !v.calls[0].valid));
    CHECK(ch.requests[0] == ((uint64_t{2} << 52) | 0x1234000 | 0x014));
    REQUIRE(register_ghcb(ch, PhysAddr(0x1234000)).ok());
    CHECK(ch.requests[1] == (0x1234000 | 0x012));
}

TEST_CASE("protocol: a refused page-state change or a registration of another GFN fails") {
    FakeMsr ch;
    FakeValidator v;
    ch.answer = [](uint64_t req) -> uint64_t {
        if ((req & 0xfff) == 0x014) return (uint64_t{5} << 32) | 0x015;
        return ~0xfffull | 0x013;  // all ones: registration failed
    };
    CHECK(share_page_msr(ch, v, PhysAddr(0x5000)).error() == Error::kDenied);
    CHECK(register_ghcb(ch, PhysAddr(0x5000)).error() == Error::kDenied);
    CHECK(share_page_msr(ch, v, PhysAddr(0x5008)).error() == Error::kMisaligned);
    CHECK(register_ghcb(ch, PhysAddr(0x5008)).error() == Error::kMisaligned);
}

TEST_CASE("protocol: AP creation puts action, VMPL and APIC ID in info_1, the VMSA in info_2") {
    RecordingHv hv;
    auto ghcb = std::make_unique<Ghcb>();
    REQUIRE(create_ap(hv, *ghcb, ApCreate{.apic_id = 3, .vmsa_gpa = 0x7000, .sev_features = 0x21, .vmpl = 0}).ok());
    CHECK(hv.code == 0x80000013);
    CHECK(hv.info1 == ((uint64_t{3} << 32) | 1));
    CHECK(hv.info2 == 0x7000);
    CHECK(hv.rax_valid);
    CHECK(hv.rax == 0x21);
    CHECK(ap_creation_info(ApCreate{.apic_id = 1, .vmpl = 2}, kApActionDestroy) ==
          ((uint64_t{1} << 32) | (2 << 16) | 2));
    hv.refuse = true;
    CHECK(create_ap(hv, *ghcb, ApCreate{.apic_id = 3, .vmsa_gpa = 0x7000}).error() == Error::kDenied);
    CHECK(create_ap(hv, *ghcb, ApCreate{.vmsa_gpa = 0x7008}).error() == Error::kInvalidArgument);
    CHECK(create_ap(hv, *ghcb, ApCreate{.vmsa_gpa = 0x7000, .vmpl = 4}).error() == Error::kInvalidArgument);
}

TEST_CASE("protocol: AP destruction names the APIC ID and VMPL (action 2), no RAX; VMPL0 is never destroyed") {
    RecordingHv hv;
    auto ghcb = std::make_unique<Ghcb>();
    REQUIRE(destroy_ap(hv, *ghcb, 5, 2).ok());
    CHECK(hv.code == 0x80000013);
    CHECK(hv.info1 == ((uint64_t{5} << 32) | (uint64_t{2} << 16) | 2));
    CHECK_FALSE(hv.rax_valid);
    CHECK(destroy_ap(hv, *ghcb, 5, 0).error() == Error::kInvalidArgument);
    CHECK(destroy_ap(hv, *ghcb, 5, 4).error() == Error::kInvalidArgument);
    hv.refuse = true;
    CHECK(destroy_ap(hv, *ghcb, 5, 2).error() == Error::kDenied);
}

TEST_CASE("protocol: RUN_VMPL names the VMPL in info_1 (GHCB spec 4.1.13: exit 0x80000018)") {
    RecordingHv hv;
    auto ghcb = std::make_unique<Ghcb>();
    REQUIRE(run_vmpl(hv, *ghcb, 2).ok());
    CHECK(hv.code == 0x80000018);
    CHECK(hv.info1 == 2);
    CHECK(hv.info2 == 0);
    CHECK_FALSE(hv.rax_valid);
    hv.refuse = true;
    CHECK(run_vmpl(hv, *ghcb, 1).error() == Error::kDenied);
    hv.code = 0;
    CHECK(run_vmpl(hv, *ghcb, 4).error() == Error::kInvalidArgument);
    CHECK(hv.code == 0);  // refused before any VMGEXIT
}
