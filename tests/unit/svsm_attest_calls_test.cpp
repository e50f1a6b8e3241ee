// SVSM protocol 1 as the dispatcher serves it (lib/warden/svsm/core.cpp
// `attestation`), with a fake attestation service: what reaches the
// service, what reaches the guest, and everything refused before either.
// The rules: SVSM spec 58019 section 7, SPEC-FACTS 7b, COCONUT-SVSM's
// attest.rs (a 64-byte nonce in one page, manifest version 0, lengths in
// R8/RCX/RDX also on a too-small buffer).
#include <doctest/doctest.h>

#include "svsm_fake_guest.hpp"

using namespace warden;
using namespace warden::svsm;
using namespace warden::svsm::testing;

namespace {

constexpr uint64_t kOp = 0xc000, kReport = 0x10000, kNonce = 0x11000, kManifest = 0x12000, kCerts = 0x13000;

struct AttestFixture : Fixture {
    FakeAttestation service;
    AttestFixture() {
        vcpu.attestation = &service;
        for (uint64_t i = 0; i < 64; ++i) g.mem[kNonce + i] = static_cast<uint8_t>(0x80 + i);
        op(kOp);
    }
    // A well-formed operation at gpa: 4 KiB buffers, no certificate buffer.
    void op(uint64_t gpa, uint64_t report = kReport, uint32_t report_size = 0x1000) {
        g.put64(gpa + 0x00, report);
        g.put64(gpa + 0x08, report_size);
        g.put64(gpa + 0x10, kNonce);
        g.put16(gpa + 0x18, 64);
        g.put64(gpa + 0x20, kManifest);
        g.put64(gpa + 0x28, 0x1000);
    }
    CallRegs attest(uint32_t call, uint64_t rcx = kOp) {
        CallRegs r{.rax = call_rax(kProtocolAttestation, call), .rcx = rcx, .rdx = ~0ull, .r8 = ~0ull};
        dispatch(r, vcpu, g);
        return r;
    }
};

}  // namespace

TEST_CASE(
    "svsm attest calls: ATTEST_SERVICES passes the nonce on and writes report and manifest, lengths in R8 and RCX") {
    AttestFixture f;
    const CallRegs r = f.attest(kAttestServices);
    CHECK(r.rax == kSuccess);
    CHECK(r.r8 == 0x4a0);
    CHECK(r.rcx == 24);
    CHECK(r.rdx == 0);
    REQUIRE(f.service.asked == 1);
    CHECK_FALSE(f.service.last.single);
    for (size_t i = 0; i < 64; ++i) CHECK(f.service.last.nonce[i] == 0x80 + i);
    CHECK(f.service.last.report_room == 0x1000);
    CHECK(f.service.last.manifest_room == 0x1000);
    CHECK(f.service.last.certificates_room == 0);
    CHECK(f.g.mem[kReport] == 0xab);
    CHECK(f.g.mem[kReport + 0x49f] == 0xab);
    CHECK(f.g.mem[kReport + 0x4a0] == 0);  // nothing past the report
    CHECK(f.g.mem[kManifest + 23] == 0x6d);
    CHECK(f.g.mem[kManifest + 24] == 0);
}

TEST_CASE("svsm attest calls: a too-small buffer gets INVALID_PARAMETER with the sizes needed, nothing written") {
    AttestFixture f;
    f.service.status = AttestStatus::kTooSmall;
    const Snapshot before = f.snapshot();
    const CallRegs r = f.attest(kAttestServices);
    CHECK(r.rax == kErrInvalidParameter);
    CHECK(r.r8 == 0x4a0);
    CHECK(r.rcx == 24);
    CHECK(r.rdx == 0);
    CHECK(f.snapshot() == before);
}

TEST_CASE("svsm attest calls: the rooms are capped, and only the capped buffers must be the guest's") {
    AttestFixture f;
    // A 1 MiB report buffer that runs into SVSM memory past its first 16 KiB.
    f.op(kOp, 0x100000 - 0x4000, 1 << 20);
    CHECK(f.attest(kAttestServices).rax == kSuccess);
    CHECK(f.service.last.report_room == kAttestRoomMax);
    // Starting in SVSM memory: refused, the service never asked.
    f.op(kOp, 0x100000);
    const int asked = f.service.asked;
    CHECK(f.attest(kAttestServices).rax == kErrInvalidAddress);
    CHECK(f.service.asked == asked);
}

TEST_CASE("svsm attest calls: refused before the service is asked, with nothing changed") {
    AttestFixture f;
    const Snapshot before = f.snapshot();
    auto refused = [&](uint64_t rcx, uint64_t want, uint32_t call = kAttestServices) {
        CHECK(f.attest(call, rcx).rax == want);
        CHECK(f.service.asked == 0);
        CHECK(f.snapshot() == before);
    };
    refused(kOp + 4, kErrInvalidParameter);        // misaligned operation
    refused(0xcfd0, kErrInvalidParameter);         // crosses a page
    refused(0x100000, kErrInvalidAddress);         // SVSM memory
    refused(FakeGuest::kTop, kErrInvalidAddress);  // outside guest memory
    refused(kOp, kErrUnsupportedCall, 2);          // no such call
    const auto with = [&](uint64_t at, uint64_t v, uint64_t want, unsigned bytes = 8) {
        std::vector<uint8_t> keep(f.g.mem.begin() + kOp, f.g.mem.begin() + kOp + 0x60);
        std::memcpy(f.g.mem.data() + at, &v, bytes);
        const Snapshot changed = f.snapshot();
        CHECK(f.attest(kAttestServices).rax == want);
        CHECK(f.service.asked == 0);
        CHECK(f.snapshot() == changed);
        std::copy(keep.begin(), keep.end(), f.g.mem.begin() + kOp);
    };
    with(kOp + 0x0c, 1, kErrInvalidParameter, 1);         // a reserved byte
    with(kOp + 0x18, 32, kErrInvalidParameter, 2);        // a 32-byte nonce
    with(kOp + 0x10, 0x11fc8, kErrInvalidParameter);      // the nonce crosses a page
    with(kOp + 0x10, 0x100000, kErrInvalidAddress);       // the nonce in SVSM memory
    with(kOp + 0x00, kReport + 8, kErrInvalidParameter);  // report buffer not page aligned
    with(kOp + 0x20, 0x200000, kErrInvalidAddress);       // manifest buffer in SVSM memory
    // A certificate buffer in SVSM memory: its address matters once it has a size.
    f.g.put64(kOp + 0x30, 0x100000);
    CHECK(f.attest(kAttestServices).rax == kSuccess);
    f.service.asked = 0;
    with(kOp + 0x38, 0x1000, kErrInvalidAddress, 4);
}

TEST_CASE("svsm attest calls: the service's answer is held to the rooms before anything is written") {
    AttestFixture f;
    const Snapshot before = f.snapshot();
    f.service.report.assign(0x1001, 1);  // more than the guest's 4 KiB
    CHECK(f.attest(kAttestServices).rax == kErrInvalidRequest);
    f.service.report.clear();  // no report at all
    CHECK(f.attest(kAttestServices).rax == kErrInvalidRequest);
    f.service.report.assign(0x4a0, 1);
    f.service.manifest.assign(0x1001, 2);
    CHECK(f.attest(kAttestServices).rax == kErrInvalidRequest);
    f.service.manifest.assign(24, 2);
    f.service.status = AttestStatus::kFailed;
    CHECK(f.attest(kAttestServices).rax == kErrInvalidRequest);
    CHECK(f.snapshot() == before);
}

TEST_CASE("svsm attest calls: ATTEST_SINGLE_SERVICE passes the GUID on; version 0 only; an unknown one refused") {
    AttestFixture f;
    const Guid vtpm = guid("c476f1eb-0123-45a5-9641-b4e7dde5bfe3");
    for (size_t i = 0; i < 16; ++i) f.g.mem[kOp + 0x40 + i] = vtpm[i];
    CHECK(f.attest(kAttestSingleService).rax == kSuccess);
    CHECK(f.service.last.single);
    CHECK(f.service.last.service == vtpm);
    f.service.status = AttestStatus::kUnknownService;
    CHECK(f.attest(kAttestSingleService).rax == kErrInvalidParameter);
    const int asked = f.service.asked;
    f.g.mem[kOp + 0x50] = 1;  // manifest version 1
    CHECK(f.attest(kAttestSingleService).rax == kErrInvalidParameter);
    CHECK(f.service.asked == asked);
}
