// DESIGN 8's rule against the dispatcher: no access on the guest's behalf
// lands on a page the SVSM has taken (a live VMSA), and a refused call
// changes nothing. Each attack comes with its control: the same call on a
// page the guest holds does what the attack was after.
#include <doctest/doctest.h>

#include "svsm_fake_guest.hpp"
#include "warden/svsm/attest.hpp"

using namespace warden;
using namespace warden::svsm;
using namespace warden::svsm::testing;

namespace {
constexpr uint64_t kVmsa = 0xa000, kVcpuCaa = 0xb000, kList = 0x9000;
}

TEST_CASE("svsm core: REMAP_CA into a live VMSA is refused and changes nothing") {
    Fixture f;
    f.live_vcpu(kVmsa, kVcpuCaa);
    const Snapshot before = f.snapshot();
    for (uint64_t at : {kVmsa, kVmsa + 8, kVmsa + 0xc8, kVmsa + 0xff8}) {  // 0xc8: the word holding VMPL and CPL
        CAPTURE(at);
        CHECK(f.result(CoreCall::kRemapCa, at) == kErrInvalidAddress);
        CHECK(f.snapshot() == before);
    }
    // Control: the page beside it is the guest's, and is cleared.
    f.g.mem[kVmsa + 0x1000] = 1;
    CHECK(f.result(CoreCall::kRemapCa, kVmsa + 0x1000) == kSuccess);
    CHECK(f.g.mem[kVmsa + 0x1000] == 0);
}

TEST_CASE("svsm core: PVALIDATE cannot rescind, re-validate or zero a live VMSA page") {
    Fixture f;
    f.live_vcpu(kVmsa, kVcpuCaa);
    f.g.valid.insert(kVmsa >> 12);  // the guest had validated it before making a VMSA of it
    for (bool validate : {false, true}) {
        CAPTURE(validate);
        f.g.list(kList, {entry(kVmsa, false, validate), entry(kVmsa, false, !validate)});
        const Snapshot before = f.snapshot();
        CHECK(f.result(CoreCall::kPvalidate, kList) == kErrInvalidAddress);
        CHECK(f.snapshot() == before);  // next already names entry 0: not even it is written
        CHECK(f.g.get16(kList + 2) == 0);
    }
    // Control: after DELETE_VCPU the same rescind goes through.
    REQUIRE(f.result(CoreCall::kDeleteVcpu, kVmsa) == kSuccess);
    f.g.list(kList, {entry(kVmsa, false, false)});
    CHECK(f.result(CoreCall::kPvalidate, kList) == kSuccess);
    CHECK_FALSE(f.g.valid.count(kVmsa >> 12));
}

TEST_CASE("svsm core: a 2 MiB PVALIDATE entry holding a live VMSA page is refused") {
    Fixture f;
    constexpr uint64_t kHuge = 0x400000, kInside = kHuge + 0x17f000;
    f.live_vcpu(kInside, kVcpuCaa);
    for (bool validate : {true, false}) {
        CAPTURE(validate);
        f.g.list(kList, {entry(kHuge, true, validate)});
        const Snapshot before = f.snapshot();
        CHECK(f.result(CoreCall::kPvalidate, kList) == kErrInvalidAddress);
        CHECK(f.snapshot() == before);
    }
    // Control: the same entry once the page is the guest's again validates (and zeroes) all 512 pages.
    REQUIRE(f.result(CoreCall::kDeleteVcpu, kInside) == kSuccess);
    f.g.list(kList, {entry(kHuge, true, true)});
    CHECK(f.result(CoreCall::kPvalidate, kList) == kSuccess);
    CHECK(f.g.valid.count(kInside >> 12));
    CHECK(f.g.mem[kInside + 0x0ca] == 0);
}

TEST_CASE("svsm core: PVALIDATE stops at the entry naming a live VMSA, next on it") {
    Fixture f;
    f.live_vcpu(kVmsa, kVcpuCaa);
    const std::vector<uint8_t> vmsa_before(f.g.mem.begin() + kVmsa, f.g.mem.begin() + kVmsa + kPageSize);
    f.g.list(kList, {entry(0x401000, false, true), entry(kVmsa, false, true), entry(0x402000, false, true)});
    CHECK(f.result(CoreCall::kPvalidate, kList) == kErrInvalidAddress);
    CHECK(f.g.get16(kList + 2) == 1);
    CHECK(f.g.valid.count(0x401));        // processed before the failure, as the spec says
    CHECK_FALSE(f.g.valid.count(0x402));  // not reached
    CHECK_FALSE(f.g.valid.count(kVmsa >> 12));
    CHECK(std::equal(vmsa_before.begin(), vmsa_before.end(), f.g.mem.begin() + kVmsa));
}

TEST_CASE("svsm core: a PVALIDATE list inside a live VMSA is refused before it is read or written") {
    Fixture f;
    constexpr uint64_t kInVmsa = kVmsa + 0x400;  // past the fields CREATE_VCPU checks
    f.g.list(kInVmsa, {entry(0x401000, false, true), entry(0x402000, false, true)});
    f.live_vcpu(kVmsa, kVcpuCaa);
    const Snapshot before = f.snapshot();
    CHECK(f.result(CoreCall::kPvalidate, kInVmsa) == kErrInvalidAddress);
    CHECK(f.snapshot() == before);  // no entry processed, no `next` written into the VMSA
    CHECK(f.result(CoreCall::kPvalidate, kVmsa + 0xff8) == kErrInvalidAddress);  // a list header in its last 8 bytes
    CHECK(f.snapshot() == before);
    // Control: the same list on the page given back is processed and its next written.
    REQUIRE(f.result(CoreCall::kDeleteVcpu, kVmsa) == kSuccess);
    CHECK(f.result(CoreCall::kPvalidate, kInVmsa) == kSuccess);
    CHECK(f.g.get16(kInVmsa + 2) == 2);
}

TEST_CASE("svsm core: CREATE_VCPU refuses a VMSA or Calling Area on a page already taken") {
    Fixture f;
    f.live_vcpu(kVmsa, kVcpuCaa);
    f.g.vmsa_at(0xc000);
    const Snapshot before = f.snapshot();
    CHECK(f.result(CoreCall::kCreateVcpu, kVmsa, 0xd000, 2) == kErrInvalidAddress);  // the same VMSA for a second vCPU
    CHECK(f.snapshot() == before);
    CHECK(f.result(CoreCall::kCreateVcpu, 0xc000, kVmsa, 2) == kErrInvalidAddress);  // its CAA on the live VMSA
    CHECK(f.snapshot() == before);
    CHECK_FALSE(f.g.taken.is_taken(PhysAddr(0xc000)));
    // Control: with a free Calling Area the second vCPU is created.
    CHECK(f.result(CoreCall::kCreateVcpu, 0xc000, 0xd000, 2) == kSuccess);
    CHECK(f.g.taken.count() == 2);
}

TEST_CASE("svsm core: after DELETE_VCPU the page is the guest's again for every call") {
    Fixture f;
    f.live_vcpu(kVmsa, kVcpuCaa);
    REQUIRE(f.result(CoreCall::kDeleteVcpu, kVmsa) == kSuccess);
    CHECK(f.result(CoreCall::kDeleteVcpu, kVmsa) == kErrInvalidParameter);
    CHECK(f.result(CoreCall::kDeleteVcpu, 0x100000) == kErrInvalidAddress);  // SVSM memory
    CHECK(f.result(CoreCall::kCreateVcpu, kVmsa, kVcpuCaa, 1) == kSuccess);  // reused as a VMSA
    REQUIRE(f.result(CoreCall::kDeleteVcpu, kVmsa) == kSuccess);
    CHECK(f.result(CoreCall::kRemapCa, kVmsa) == kSuccess);  // then as a Calling Area
    CHECK(f.vcpu.caa.raw() == kVmsa);
}

TEST_CASE("svsm core: an attestation request inside a live VMSA, or a buffer there, is refused") {
    Fixture f;
    FakeAttestation service;
    f.vcpu.attestation = &service;
    f.live_vcpu(kVmsa, kVcpuCaa);
    // A well-formed operation whose report buffer (then nonce, manifest) is the live VMSA.
    constexpr uint64_t kOp = 0xc000;
    f.g.put64(kOp + 0x00, kVmsa);
    f.g.put64(kOp + 0x08, 0x1000);
    f.g.put64(kOp + 0x10, 0xd000);
    f.g.put16(kOp + 0x18, 64);
    f.g.put64(kOp + 0x20, 0xe000);
    f.g.put64(kOp + 0x28, 0x1000);
    const Snapshot before = f.snapshot();
    auto attest = [&](uint32_t c, uint64_t op) {
        CallRegs r{.rax = call_rax(kProtocolAttestation, c), .rcx = op};
        dispatch(r, f.vcpu, f.g);
        return r.rax;
    };
    for (uint32_t c : {kAttestServices, kAttestSingleService}) CHECK(attest(c, kVmsa + 0x800) == kErrInvalidAddress);
    CHECK(attest(kAttestServices, kOp) == kErrInvalidAddress);
    f.g.put64(kOp + 0x00, 0xf000);
    f.g.put64(kOp + 0x10, kVmsa + 0x100);
    CHECK(attest(kAttestServices, kOp) == kErrInvalidAddress);
    f.g.put64(kOp + 0x10, 0xd000);
    f.g.put64(kOp + 0x20, kVmsa);
    CHECK(attest(kAttestServices, kOp) == kErrInvalidAddress);
    CHECK(service.asked == 0);
    f.g.put64(kOp + 0x20, 0xe000);
    CHECK(attest(kAttestServices, kOp) == kSuccess);  // the same, in the guest's pages
    CHECK(std::equal(before.mem.begin() + kVmsa, before.mem.begin() + kVmsa + 4096, f.g.mem.begin() + kVmsa));
}

TEST_CASE("svsm core: read_guest, write_guest and pvalidate refuse a taken page themselves") {
    Fixture f;
    f.live_vcpu(kVmsa, kVcpuCaa);
    const Snapshot before = f.snapshot();
    uint8_t buf[16] = {1, 2, 3};
    CHECK(f.g.read_guest(PhysAddr(kVmsa + 0xc8), buf, 8).error() == Error::kDenied);
    CHECK(buf[0] == 1);
    CHECK(f.g.write_guest(PhysAddr(kVmsa + 0xc8), buf, 8).error() == Error::kDenied);
    CHECK(f.g.write_guest(PhysAddr(kVmsa - 8), buf, 16).error() == Error::kDenied);  // from the page below into it
    CHECK(f.g.pvalidate(PhysAddr(kVmsa), false, false).error() == Error::kDenied);
    CHECK(f.g.pvalidate(PhysAddr(0), true, true).error() == Error::kDenied);  // SVSM memory in the 2 MiB
    CHECK(f.snapshot() == before);                                            // not even the page below was written
    CHECK(f.g.write_guest(PhysAddr(kVmsa - 8), buf, 8).ok());
}

TEST_CASE("svsm core: a call is served only when call_pending is set, and then it is cleared") {
    Fixture f;
    CallRegs r{.rax = call_rax(kProtocolCore, static_cast<uint32_t>(CoreCall::kQueryProtocol)), .rcx = 1};
    const CallRegs sent = r;
    CHECK_FALSE(serve(r, f.vcpu, f.g));
    CHECK((r.rax == sent.rax && r.rcx == sent.rcx));  // as sent
    f.g.mem[0x5000] = 1;
    CHECK(serve(r, f.vcpu, f.g));
    CHECK(r.rax == kSuccess);
    CHECK(f.g.mem[0x5000] == 0);
}

TEST_CASE("svsm core: CREATE_VCPU on the calling vCPU's own Calling Area page is refused") {
    Fixture f;
    f.vcpu.caa = PhysAddr(kVcpuCaa + 0x40);  // anywhere in the page
    f.g.vmsa_at(kVcpuCaa);
    const Snapshot before = f.snapshot();
    CHECK(f.result(CoreCall::kCreateVcpu, kVcpuCaa, 0xd000, 1) == kErrInvalidAddress);
    CHECK(f.snapshot() == before);
    f.vcpu.caa = PhysAddr(0x5000);  // control: moved away, the page can be a VMSA
    CHECK(f.result(CoreCall::kCreateVcpu, kVcpuCaa, 0xd000, 1) == kSuccess);
}

// Decided (docs/svsm.md): another vCPU's Calling Area may become a VMSA; the
// SVSM then neither reads nor clears that vCPU's call_pending, so its calls
// are not served until the VMSA is deleted.
TEST_CASE("svsm core: a vCPU whose Calling Area became a VMSA is not served until the VMSA is deleted") {
    Fixture f;  // vCPU A: f.vcpu, Calling Area at 0x5000
    VcpuState b{.caa = PhysAddr(0x6000)};
    f.g.vmsa_at(0x6000);
    f.g.mem[0x6000] = 1;  // B's call_pending, left set when the page became a VMSA
    REQUIRE(f.result(CoreCall::kCreateVcpu, 0x6000, kVcpuCaa, 1) == kSuccess);
    const Snapshot before = f.snapshot();
    CallRegs r{.rax = call_rax(kProtocolCore, static_cast<uint32_t>(CoreCall::kRemapCa)), .rcx = 0x7000};
    CHECK_FALSE(serve(r, b, f.g));  // not even REMAP_CA away: nothing of the page is read
    CHECK(r.rax == call_rax(kProtocolCore, 0));
    CHECK(b.caa.raw() == 0x6000);
    CHECK(f.snapshot() == before);  // call_pending (the VMSA's first byte) untouched
    REQUIRE(f.result(CoreCall::kDeleteVcpu, 0x6000) == kSuccess);
    CHECK(serve(r, b, f.g));
    CHECK(r.rax == kSuccess);
    CHECK(b.caa.raw() == 0x7000);
    CHECK(f.g.mem[0x6000] == 0);
}
