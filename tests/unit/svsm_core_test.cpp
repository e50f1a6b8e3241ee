#include <doctest/doctest.h>

#include "svsm_fake_guest.hpp"

using namespace warden;
using namespace warden::svsm;
using namespace warden::svsm::testing;

TEST_CASE("svsm core: result codes and call numbers of SPEC-FACTS 7") {
    CHECK(kErrUnsupportedProtocol == 0x80000001);
    CHECK(kErrInvalidAddress == 0x80000003);
    CHECK(kErrInvalidParameter == 0x80000005);
    CHECK(kErrInvalidRequest == 0x80000006);
    CHECK(kErrPvalidateNoChange == 0x80001010);
    CHECK(static_cast<uint32_t>(CoreCall::kQueryProtocol) == 6);
    CHECK(static_cast<uint32_t>(CoreCall::kConfigureVtom) == 7);
    CHECK(call_rax(1, 2) == 0x0000000100000002);
}

TEST_CASE("svsm core: QUERY_PROTOCOL, CONFIGURE_VTOM, unknown protocols and calls") {
    Fixture f;
    auto r = f.call(CoreCall::kQueryProtocol, (uint64_t{0} << 32) | 1);
    CHECK(r.rax == kSuccess);
    CHECK(r.rcx == ((uint64_t{1} << 32) | 1));
    CHECK(f.call(CoreCall::kQueryProtocol, 2).rcx == 0);                        // core version 2: not offered
    CHECK(f.call(CoreCall::kQueryProtocol, (uint64_t{1} << 32) | 1).rcx == 0);  // attestation: not on native
    auto v = f.call(CoreCall::kConfigureVtom, 1);
    CHECK((v.rax == kSuccess && v.rcx == 0));
    CHECK(f.result(CoreCall::kConfigureVtom, 0) == kErrInvalidRequest);
    CHECK(f.result(CoreCall::kDepositMem, 0x400000) == kErrUnsupportedCall);
    CHECK(f.result(CoreCall::kWithdrawMem, 0x400000) == kErrUnsupportedCall);
    CHECK(f.result(static_cast<CoreCall>(8)) == kErrUnsupportedCall);
    CallRegs other{.rax = call_rax(7, 0)};
    dispatch(other, f.vcpu, f.g);
    CHECK(other.rax == kErrUnsupportedProtocol);
    CallRegs attest{.rax = call_rax(kProtocolAttestation, 0)};
    dispatch(attest, f.vcpu, f.g);
    CHECK(attest.rax == kErrUnsupportedProtocol);
    FakeAttestation service;
    f.vcpu.attestation = &service;
    CHECK(f.call(CoreCall::kQueryProtocol, (uint64_t{1} << 32) | 1).rcx == ((uint64_t{1} << 32) | 1));
    service.is_offered = false;  // no service answered the request loop
    CHECK(f.call(CoreCall::kQueryProtocol, (uint64_t{1} << 32) | 1).rcx == 0);
    attest.rax = call_rax(kProtocolAttestation, 0);
    dispatch(attest, f.vcpu, f.g);
    CHECK(attest.rax == kErrUnsupportedProtocol);
}

TEST_CASE("svsm core: REMAP_CA moves and clears the Calling Area, only inside guest memory") {
    Fixture f;
    f.g.mem[0x7008] = 1;
    CHECK(f.result(CoreCall::kRemapCa, 0x7008) == kSuccess);
    CHECK(f.vcpu.caa.raw() == 0x7008);
    CHECK(f.g.mem[0x7008] == 0);
    CHECK(f.result(CoreCall::kRemapCa, 0x7004) == kErrInvalidParameter);    // not 8-byte aligned
    CHECK(f.result(CoreCall::kRemapCa, 0x7ffc) == kErrInvalidParameter);    // crosses a page
    CHECK(f.result(CoreCall::kRemapCa, 0x100000) == kErrInvalidAddress);    // SVSM memory
    CHECK(f.result(CoreCall::kRemapCa, 0x40000000) == kErrInvalidAddress);  // no memory there
    CHECK(f.vcpu.caa.raw() == 0x7008);                                      // the refused calls changed nothing
}

TEST_CASE("svsm core: PVALIDATE of 4 KiB and 2 MiB entries, no-change and ignore-CF") {
    Fixture f;
    f.g.list(0x9000, {entry(0x400000, false, true), entry(0x600000, true, true)});
    CHECK(f.result(CoreCall::kPvalidate, 0x9000) == kSuccess);
    CHECK(f.g.get16(0x9002) == 2);  // next = entries
    CHECK(f.g.valid.count(0x400));
    CHECK(f.g.valid.size() == 513);
    // The same page again: no change, an error unless the entry ignores CF.
    f.g.list(0x9000, {entry(0x400000, false, true)});
    CHECK(f.result(CoreCall::kPvalidate, 0x9000) == kErrPvalidateNoChange);
    CHECK(f.g.get16(0x9002) == 0);
    f.g.list(0x9000, {entry(0x400000, false, true, true)});
    CHECK(f.result(CoreCall::kPvalidate, 0x9000) == kSuccess);
    // Rescind.
    f.g.list(0x9000, {entry(0x400000, false, false)});
    CHECK(f.result(CoreCall::kPvalidate, 0x9000) == kSuccess);
    CHECK_FALSE(f.g.valid.count(0x400));
}

TEST_CASE("svsm core: PVALIDATE stops at the first failure and resumes from next") {
    Fixture f;
    f.g.list(0x9000, {entry(0x401000, false, true), entry(0x800000, true, true), entry(0x402000, false, true)});
    CHECK(f.result(CoreCall::kPvalidate, 0x9000) == kErrPvalidateBase + 6);  // the RMP holds 4 KiB pages there
    CHECK(f.g.get16(0x9002) == 1);
    CHECK_FALSE(f.g.valid.count(0x402));  // entry 2 not processed
    // The guest splits the failed entry and resumes after it.
    f.g.put16(0x9002, 2);
    CHECK(f.result(CoreCall::kPvalidate, 0x9000) == kSuccess);
    CHECK(f.g.valid.count(0x402));
    CHECK(f.g.valid.count(0x401));
}

TEST_CASE("svsm core: malformed PVALIDATE lists are refused and change nothing") {
    Fixture f;
    auto refused = [&](uint64_t gpa) {
        const auto before = f.g.valid;
        const int calls = f.g.pvalidates;
        const uint64_t r = f.result(CoreCall::kPvalidate, gpa);
        CHECK(f.g.valid == before);
        CHECK(f.g.pvalidates == calls);
        return r;
    };
    f.g.list(0x9000, {});
    CHECK(refused(0x9000) == kErrInvalidParameter);  // no entries
    f.g.list(0x9000, {entry(0x400000, false, true)}, 1);
    CHECK(refused(0x9000) == kErrInvalidParameter);  // next == entries
    f.g.list(0x9ff0, {entry(0x400000, false, true), entry(0x401000, false, true)});
    CHECK(refused(0x9ff0) == kErrInvalidParameter);  // entries past the page
    CHECK(refused(0x9004) == kErrInvalidParameter);  // list not 8-byte aligned
    f.g.list(0x9000, {entry(0x400000, false, true) | 2});
    CHECK(refused(0x9000) == kErrInvalidParameter);  // page size 2
    f.g.list(0x9000, {entry(0x400000, false, true) | 0x10});
    CHECK(refused(0x9000) == kErrInvalidParameter);  // reserved bits
    f.g.list(0x9000, {entry(0x401000, false, true) | 1});
    CHECK(refused(0x9000) == kErrInvalidParameter);  // a 2 MiB entry not 2 MiB aligned
    f.g.list(0x9000, {entry(0x100000, false, true)});
    CHECK(refused(0x9000) == kErrInvalidAddress);  // SVSM memory
    f.g.list(0x9000, {entry(0x000000, true, true)});
    CHECK(refused(0x9000) == kErrInvalidAddress);  // a 2 MiB entry reaching into SVSM memory
    f.g.list(0x9000, {entry(0x2000000, false, true)});
    CHECK(refused(0x9000) == kErrInvalidAddress);    // outside guest memory
    CHECK(refused(0x180000) == kErrInvalidAddress);  // the list itself in SVSM memory
    CHECK(refused(0xfffffffffffff000) == kErrInvalidAddress);
}

TEST_CASE("svsm core: CREATE_VCPU makes a live VMSA of a page that fits; DELETE_VCPU only what it created") {
    Fixture f;
    const uint64_t vmsa = 0xa000, caa = 0xb000;
    f.g.mem[vmsa + 0x0ca] = 2;                   // VMPL 2, the guest's
    f.g.put64(vmsa + 0x0d0, uint64_t{1} << 12);  // EFER.SVME
    f.g.put64(vmsa + 0x3b0, 0x1);                // SEV_FEATURES equal to the caller's
    CHECK(f.result(CoreCall::kCreateVcpu, vmsa, caa, 1) == kSuccess);
    CHECK(f.g.taken.is_live(PhysAddr(vmsa)));
    CHECK(f.result(CoreCall::kDeleteVcpu, vmsa) == kSuccess);
    CHECK(f.g.taken.count() == 0);
    CHECK(f.result(CoreCall::kDeleteVcpu, vmsa) == kErrInvalidParameter);  // not (any more) a created VMSA

    auto bad = [&](uint64_t v, uint64_t c, uint64_t id) {
        const uint64_t r = f.result(CoreCall::kCreateVcpu, v, c, id);
        CHECK(f.g.taken.count() == 0);  // nothing taken, or given back
        return r;
    };
    CHECK(bad(vmsa + 8, caa, 1) == kErrInvalidParameter);
    CHECK(bad(vmsa, vmsa, 1) == kErrInvalidAddress);   // one page for both: a bad address
    CHECK(bad(vmsa, caa, 9) == kErrInvalidParameter);  // no such APIC ID
    CHECK(bad(0x100000, caa, 1) == kErrInvalidAddress);
    CHECK(bad(vmsa, 0x200000, 1) == kErrInvalidAddress);
    f.g.mem[vmsa + 0x0ca] = 0;  // a VMPL0 VMSA from the guest
    CHECK(bad(vmsa, caa, 1) == kErrInvalidParameter);
    f.g.mem[vmsa + 0x0ca] = 2;
    f.g.put64(vmsa + 0x0d0, 0);  // no SVME
    CHECK(bad(vmsa, caa, 1) == kErrInvalidParameter);
    f.g.put64(vmsa + 0x0d0, uint64_t{1} << 12);
    f.g.put64(vmsa + 0x3b0, 0x3);  // other SEV_FEATURES
    CHECK(bad(vmsa, caa, 1) == kErrInvalidParameter);
}

TEST_CASE("svsm core: PVALIDATE entries round-trip through their encoding") {
    const PvalidateEntry e{PhysAddr(0x12345000), false, true, true};
    auto d = decode_pvalidate_entry(encode_pvalidate_entry(e));
    REQUIRE(d.ok());
    CHECK((d->page == e.page && !d->huge && d->validate && d->ignore_cf));
    CHECK(encode_pvalidate_entry(PvalidateEntry{PhysAddr(0x200000), true, true, false}) == 0x200005);
    CHECK(decode_pvalidate_entry(0x200003).error() == Error::kInvalidArgument);
}
