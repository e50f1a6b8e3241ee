// The RMP model's table, host operations and guest instructions
// (lib/warden/snp/rmp.hpp); accesses and the NPT view are in rmp_access_test.
#include <doctest/doctest.h>

#include "rmp_support.hpp"

using namespace rmp_test;

TEST_CASE("rmp: constants are the specifications' values") {
    // EAX codes: MSVC's __rmpupdate, __psmash, __pvalidate and __rmpadjust
    // pages (AMD64 APM vol. 3), Linux asm/sev.h (RMPUPDATE_FAIL_OVERLAP 4).
    CHECK(static_cast<uint32_t>(Status::kSuccess) == 0);
    CHECK(static_cast<uint32_t>(Status::kFailInput) == 1);
    CHECK(static_cast<uint32_t>(Status::kFailPermission) == 2);
    CHECK(static_cast<uint32_t>(Status::kFailInUse) == 3);
    CHECK(static_cast<uint32_t>(Status::kFailOverlap) == 4);
    CHECK(static_cast<uint32_t>(Status::kFailSizeMismatch) == 6);
    CHECK(static_cast<uint32_t>(Status::kFailUnsafe) == 7);
    // The guest side (sev/ioio.hpp) reads the same codes.
    CHECK(sev::kFailInput == 1);
    CHECK(sev::kFailPermission == 2);
    CHECK(sev::kFailSizeMismatch == 6);
    // #NPF EXITINFO1: APM vol. 2 15.36.10 (RMP 31, ENC 34, SIZEM 35, VMPL
    // 36) and 15.25.6 (final GPA 32, guest table 33); Linux kvm_host.h
    // PFERR_GUEST_RMP_BIT 31 ... PFERR_GUEST_VMPL_BIT 36.
    CHECK(npf::kPresent == 0x1);
    CHECK(npf::kWrite == 0x2);
    CHECK(npf::kUser == 0x4);
    CHECK(npf::kFetch == 0x10);
    CHECK(npf::kRmp == 0x8000'0000);
    CHECK(npf::kFinal == 0x1'0000'0000);
    CHECK(npf::kPageWalk == 0x2'0000'0000);
    CHECK(npf::kEncrypted == 0x4'0000'0000);
    CHECK(npf::kSizeMismatch == 0x8'0000'0000);
    CHECK(npf::kVmpl == 0x10'0000'0000);
    CHECK(kPfRmp == 0x8000'0000);  // #PF error code bit 31 (15.36.10)
    // #VC PAGE_NOT_VALIDATED (15.36.10: "error code PAGE_NOT_VALIDATED (0x404)").
    CHECK(kVcPageNotValidated == 0x404);
    // VMPL permission mask, Table 15-36; COCONUT RMPFlags READ 1<<8 ... X_SUPER 1<<11.
    CHECK(Perms::kRead == 1);
    CHECK(Perms::kWrite == 2);
    CHECK(Perms::kExecUser == 4);
    CHECK(Perms::kExecSupervisor == 8);
    CHECK(kVmpls == 4);
}

TEST_CASE("rmp: RMPADJUST's RDX is target, permissions, VMSA bit (Linux RMPADJUST_*)") {
    Machine m;
    REQUIRE(assign(m.rmp, 0) == Status::kSuccess);
    REQUIRE(ok(pvalidate(m.rmp, Vmpl::k0, 0, PageSize::k4K, true)));
    // 0x10f02: VMPL2, all four rights, VMSA bit 16 (RMPADJUST_VMSA_PAGE_BIT).
    const Outcome o = m.rmp.rmpadjust({Vmpl::k0, gpa(0), spa(0), 0, 0x10f02});
    REQUIRE(ok(o));
    CHECK(m.store[0].lower[1].bits == 0xf);
    CHECK(m.store[0].vmsa);
    CHECK(sev::rmpadjust_attributes(2, 0xf, true) == 0x10f02);
}

TEST_CASE("rmp: a new table is hypervisor-owned and covers exactly its span") {
    Machine m;
    m.store[5].validated = true;  // whatever the storage held is reset
    Rmp again(PhysAddr(kBase), m.store);
    CHECK(m.store[5] == RmpEntry{});
    CHECK(m.rmp.find(spa(0)) == &m.store[0]);
    CHECK(m.rmp.find(spa(kPages - 1)) == &m.store[kPages - 1]);
    CHECK(m.rmp.find(spa(kPages)) == nullptr);
    CHECK(m.rmp.find(PhysAddr(kBase - 1)) == nullptr);
    CHECK(m.rmp.find(spa(3) + 0x123) == &m.store[3]);
}

TEST_CASE("rmp: RMPUPDATE binds the GPA and resets Validated, VMSA and the lower VMPLs") {
    Machine m;
    REQUIRE(assign(m.rmp, 7) == Status::kSuccess);
    CHECK(m.store[7].owner == Owner::kGuest);
    CHECK(m.store[7].gpa == gpa(7));
    CHECK(m.store[7].perms(Vmpl::k0).bits == Perms::kAll);  // 15.36.7: VMPL0 all, others none
    CHECK(m.store[7].perms(Vmpl::k1).bits == 0);
    REQUIRE(ok(pvalidate(m.rmp, Vmpl::k0, 7, PageSize::k4K, true)));
    REQUIRE(ok(adjust(m.rmp, Vmpl::k0, 7, PageSize::k4K, Vmpl::k1, Perms::kRead, true)));
    // Reassigning (even to the same GPA) starts over: 15.36.6, 15.36.7.
    REQUIRE(assign(m.rmp, 7) == Status::kSuccess);
    CHECK(!m.store[7].validated);
    CHECK(!m.store[7].vmsa);
    CHECK(m.store[7].lower[0].bits == 0);
    // Remapping to another GPA, then unassigning.
    REQUIRE(m.rmp.rmpupdate(spa(7), {Owner::kGuest, gpa(99), PageSize::k4K}) == Status::kSuccess);
    CHECK(m.store[7].gpa == gpa(99));
    REQUIRE(m.rmp.rmpupdate(spa(7), {Owner::kHypervisor, {}, PageSize::k4K}) == Status::kSuccess);
    CHECK(m.store[7] == RmpEntry{});
    // A 2 MiB entry: 512 entries, consecutive GPAs, first and last page.
    REQUIRE(assign(m.rmp, kPagesPer2M, PageSize::k2M) == Status::kSuccess);
    CHECK(m.store[kPagesPer2M].size == PageSize::k2M);
    CHECK(m.store[2 * kPagesPer2M - 1].gpa == gpa(2 * kPagesPer2M - 1));
    CHECK(m.store[2 * kPagesPer2M].owner == Owner::kHypervisor);
    CHECK(m.store[kPagesPer2M - 1].owner == Owner::kHypervisor);
    // The last 2 MiB of the table, and its last 4 KiB.
    CHECK(assign(m.rmp, 2 * kPagesPer2M, PageSize::k2M) == Status::kSuccess);
    CHECK(m.rmp.rmpupdate(spa(kPages - 1), {Owner::kFirmware, {}, PageSize::k4K}) == Status::kFailOverlap);
}

TEST_CASE("rmp: RMPUPDATE refusals change nothing") {
    Machine m;
    REQUIRE(assign(m.rmp, 3) == Status::kSuccess);
    REQUIRE(m.rmp.rmpupdate(spa(4), {Owner::kFirmware, {}, PageSize::k4K}) == Status::kSuccess);
    REQUIRE(assign(m.rmp, kPagesPer2M, PageSize::k2M) == Status::kSuccess);
    const auto before = m.snapshot();
    struct Case {
        PhysAddr spa;
        RmpUpdate update;
        Status expect;
    } const cases[] = {
        {spa(1), {Owner::kGuest, gpa(1), PageSize::k2M}, Status::kFailInput},          // SPA not 2 MiB aligned
        {spa(0), {Owner::kGuest, gpa(1), PageSize::k2M}, Status::kFailInput},          // GPA not 2 MiB aligned
        {spa(0) + 0x800, {Owner::kGuest, gpa(0), PageSize::k4K}, Status::kFailInput},  // not 4 KiB aligned
        {spa(kPages), {Owner::kGuest, gpa(0), PageSize::k4K}, Status::kFailInput},     // past the RMP
        {PhysAddr(kBase - kPageSize), {Owner::kGuest, gpa(0), PageSize::k4K}, Status::kFailInput},  // before it
        {spa(0), {Owner::kFirmware, {}, PageSize::k2M}, Status::kFailInput},         // model: 4 KiB AMD-SP pages
        {spa(4), {Owner::kHypervisor, {}, PageSize::k4K}, Status::kFailPermission},  // immutable
        {spa(0), {Owner::kGuest, gpa(0), PageSize::k2M}, Status::kFailPermission},   // covers the AMD-SP page
        {spa(kPagesPer2M + 5), {Owner::kGuest, gpa(5), PageSize::k4K}, Status::kFailOverlap},  // inside a 2 MiB entry
        {spa(kPagesPer2M + 5), {Owner::kHypervisor, {}, PageSize::k4K}, Status::kFailOverlap},
    };
    for (const Case& c : cases) {
        CAPTURE(c.spa.raw());
        CHECK(m.rmp.rmpupdate(c.spa, c.update) == c.expect);
        CHECK(m.snapshot() == before);
    }
    // A 2 MiB entry, or a 2 MiB unassign, over assigned 4 KiB entries.
    Machine n;
    REQUIRE(assign(n.rmp, 3) == Status::kSuccess);
    const auto n_before = n.snapshot();
    CHECK(assign(n.rmp, 0, PageSize::k2M) == Status::kFailOverlap);
    CHECK(n.rmp.rmpupdate(spa(0), {Owner::kHypervisor, {}, PageSize::k2M}) == Status::kFailOverlap);
    CHECK(n.snapshot() == n_before);
}

TEST_CASE("rmp: PSMASH splits a 2 MiB entry, keeping Validated and the GPAs") {
    Machine m;
    REQUIRE(assign(m.rmp, 0, PageSize::k2M) == Status::kSuccess);
    REQUIRE(ok(pvalidate(m.rmp, Vmpl::k0, 0, PageSize::k2M, true)));
    REQUIRE(ok(adjust(m.rmp, Vmpl::k0, 0, PageSize::k2M, Vmpl::k2, Perms::kRead)));
    RmpEntry expect = m.store[300];
    REQUIRE(m.rmp.psmash(spa(0)) == Status::kSuccess);
    expect.size = PageSize::k4K;
    CHECK(m.store[300] == expect);
    CHECK(m.store[511].gpa == gpa(511));
    CHECK(m.store[0].validated);
    const auto before = m.snapshot();
    CHECK(m.rmp.psmash(spa(0)) == Status::kFailInput);            // already 4 KiB
    CHECK(m.rmp.psmash(spa(1)) == Status::kFailInput);            // not 2 MiB aligned
    CHECK(m.rmp.psmash(spa(kPagesPer2M)) == Status::kFailInput);  // hypervisor-owned
    CHECK(m.rmp.psmash(spa(kPages)) == Status::kFailInput);       // not covered
    CHECK(m.snapshot() == before);
}

TEST_CASE("rmp: the PSP's launch update validates a guest page, once") {
    Machine m;
    REQUIRE(assign(m.rmp, 2) == Status::kSuccess);
    REQUIRE(m.rmp.launch_update(spa(2), {true, {Perms{Perms::kRead}, {}, {}}}).ok());
    CHECK(m.store[2].validated);
    CHECK(m.store[2].vmsa);
    CHECK(m.store[2].lower[0].bits == Perms::kRead);
    const auto before = m.snapshot();
    CHECK(m.rmp.launch_update(spa(2), {}).error() == Error::kDenied);           // already validated
    CHECK(m.rmp.launch_update(spa(3), {}).error() == Error::kDenied);           // not the guest's
    CHECK(m.rmp.launch_update(spa(kPages), {}).error() == Error::kOutOfRange);  // not covered
    REQUIRE(assign(m.rmp, kPagesPer2M, PageSize::k2M) == Status::kSuccess);
    const auto with_2m = m.snapshot();
    CHECK(m.rmp.launch_update(spa(kPagesPer2M + 1), {}).error() == Error::kMisaligned);
    CHECK(m.rmp.launch_update(spa(kPagesPer2M), {true, {}}).error() == Error::kInvalidArgument);
    CHECK(m.rmp.launch_update(spa(kPagesPer2M), {false, {Perms{0x10}, {}, {}}}).error() == Error::kInvalidArgument);
    CHECK(m.snapshot() == with_2m);
    CHECK(before[2] == m.store[2]);
    REQUIRE(m.rmp.launch_update(spa(kPagesPer2M), {}).ok());
    CHECK(m.store[2 * kPagesPer2M - 1].validated);
}

TEST_CASE("rmp: PVALIDATE validates and rescinds, CF set when nothing changes") {
    Machine m;
    REQUIRE(assign(m.rmp, 9) == Status::kSuccess);
    Outcome o = pvalidate(m.rmp, Vmpl::k0, 9, PageSize::k4K, true);
    CHECK((ok(o) && !o.no_change && m.store[9].validated));
    o = pvalidate(m.rmp, Vmpl::k0, 9, PageSize::k4K, true);
    CHECK((ok(o) && o.no_change));
    o = pvalidate(m.rmp, Vmpl::k0, 9, PageSize::k4K, false);
    CHECK((ok(o) && !o.no_change && !m.store[9].validated));
    o = pvalidate(m.rmp, Vmpl::k0, 9, PageSize::k4K, false);
    CHECK((ok(o) && o.no_change));
    CHECK(!m.store[8].validated);
    CHECK(!m.store[10].validated);
    // A whole 2 MiB entry at once, the last one of the table.
    REQUIRE(assign(m.rmp, 2 * kPagesPer2M, PageSize::k2M) == Status::kSuccess);
    CHECK(ok(pvalidate(m.rmp, Vmpl::k0, 2 * kPagesPer2M, PageSize::k2M, true)));
    CHECK(m.store[kPages - 1].validated);
    CHECK(!m.store[2 * kPagesPer2M - 1].validated);
}

TEST_CASE("rmp: PVALIDATE size mismatch both ways (Table 15-40)") {
    Machine m;
    for (uint64_t p = 0; p < kPagesPer2M; ++p) REQUIRE(assign(m.rmp, p) == Status::kSuccess);
    // 2 MiB over 4 KiB entries: FAIL_SIZEMISMATCH, the guest retries 4 KiB.
    Outcome o = pvalidate(m.rmp, Vmpl::k0, 0, PageSize::k2M, true);
    CHECK((o.fault.allowed() && o.status == Status::kFailSizeMismatch));
    CHECK(!m.store[0].validated);
    // 4 KiB inside a 2 MiB entry: #NPF with RMP and SIZEM, the host smashes.
    REQUIRE(assign(m.rmp, kPagesPer2M, PageSize::k2M) == Status::kSuccess);
    o = pvalidate(m.rmp, Vmpl::k0, kPagesPer2M + 3, PageSize::k4K, true);
    CHECK(o.fault.kind == FaultKind::kNpf);
    CHECK(o.fault.code == 0x9'8000'0000);  // SIZEM | final GPA | RMP
    CHECK(!m.store[kPagesPer2M + 3].validated);
    REQUIRE(m.rmp.psmash(spa(kPagesPer2M)) == Status::kSuccess);
    CHECK(ok(pvalidate(m.rmp, Vmpl::k0, kPagesPer2M + 3, PageSize::k4K, true)));
}

TEST_CASE("rmp: PVALIDATE refusals, each with its code, change nothing") {
    Machine m;
    REQUIRE(assign(m.rmp, 1) == Status::kSuccess);
    REQUIRE(m.rmp.rmpupdate(spa(2), {Owner::kFirmware, {}, PageSize::k4K}) == Status::kSuccess);
    REQUIRE(m.rmp.rmpupdate(spa(3), {Owner::kGuest, gpa(30), PageSize::k4K}) == Status::kSuccess);
    const auto before = m.snapshot();
    struct Case {
        PvalidateOp op;
        FaultKind fault;
        uint64_t code;
        Status status;
    } const cases[] = {
        {{Vmpl::k1, gpa(1), spa(1), 0, 1}, FaultKind::kGp, 0, Status::kSuccess},              // VMPL0 only
        {{Vmpl::k0, gpa(1), spa(1), 2, 1}, FaultKind::kNone, 0, Status::kFailInput},          // size 2
        {{Vmpl::k0, gpa(1), spa(1), 0, 2}, FaultKind::kNone, 0, Status::kFailInput},          // validate 2
        {{Vmpl::k0, gpa(1), spa(1), 1, 1}, FaultKind::kNone, 0, Status::kFailInput},          // 2 MiB, not aligned
        {{Vmpl::k0, gpa(1) + 8, spa(1) + 8, 0, 1}, FaultKind::kNone, 0, Status::kFailInput},  // not 4 KiB aligned
        {{Vmpl::k0, gpa(0), spa(0), 0, 1}, FaultKind::kNpf, 0x1'8000'0000, {}},               // unassigned
        {{Vmpl::k0, gpa(2), spa(2), 0, 1}, FaultKind::kNpf, 0x1'8000'0000, {}},               // AMD-SP page
        {{Vmpl::k0, gpa(3), spa(3), 0, 1}, FaultKind::kNpf, 0x1'8000'0000, {}},               // bound to GPA 30
        {{Vmpl::k0, gpa(0), spa(kPages), 0, 1}, FaultKind::kNpf, 0x1'8000'0000, {}},          // not covered
    };
    for (const Case& c : cases) {
        CAPTURE(c.op.gpa.raw());
        const Outcome o = m.rmp.pvalidate(c.op);
        CHECK(o.fault.kind == c.fault);
        CHECK(o.fault.code == c.code);
        if (c.fault == FaultKind::kNone) CHECK(o.status == c.status);
        CHECK(m.snapshot() == before);
    }
}

TEST_CASE("rmp: RMPADJUST grants a lower VMPL at most what the caller holds") {
    Machine m;
    REQUIRE(assign(m.rmp, 4) == Status::kSuccess);
    REQUIRE(ok(pvalidate(m.rmp, Vmpl::k0, 4, PageSize::k4K, true)));
    constexpr uint8_t kRw = Perms::kRead | Perms::kWrite;
    REQUIRE(ok(adjust(m.rmp, Vmpl::k0, 4, PageSize::k4K, Vmpl::k1, kRw)));
    CHECK(m.store[4].lower[0].bits == kRw);
    CHECK(ok(adjust(m.rmp, Vmpl::k1, 4, PageSize::k4K, Vmpl::k2, Perms::kRead)));
    CHECK(ok(adjust(m.rmp, Vmpl::k1, 4, PageSize::k4K, Vmpl::k3, kRw)));
    const auto before = m.snapshot();
    CHECK(adjust(m.rmp, Vmpl::k1, 4, PageSize::k4K, Vmpl::k2, Perms::kAll).status == Status::kFailPermission);
    CHECK(adjust(m.rmp, Vmpl::k1, 4, PageSize::k4K, Vmpl::k1, 0).status == Status::kFailPermission);  // itself
    CHECK(adjust(m.rmp, Vmpl::k2, 4, PageSize::k4K, Vmpl::k1, 0).status == Status::kFailPermission);  // above it
    CHECK(adjust(m.rmp, Vmpl::k0, 4, PageSize::k4K, Vmpl::k0, 0).status == Status::kFailPermission);
    CHECK(m.snapshot() == before);
    // The VMSA bit: ignored from VMPL1, set and cleared from VMPL0.
    CHECK(ok(adjust(m.rmp, Vmpl::k1, 4, PageSize::k4K, Vmpl::k2, 0, true)));
    CHECK(!m.store[4].vmsa);
    CHECK(m.store[4].lower[1].bits == 0);
    CHECK(ok(adjust(m.rmp, Vmpl::k0, 4, PageSize::k4K, Vmpl::k1, Perms::kRead, true)));
    CHECK(m.store[4].vmsa);
    CHECK(ok(adjust(m.rmp, Vmpl::k0, 4, PageSize::k4K, Vmpl::k1, Perms::kRead, false)));
    CHECK(!m.store[4].vmsa);
}

TEST_CASE("rmp: a VMSA page VMRUN takes is the guest's, validated and 4 KiB") {
    Machine m;
    REQUIRE(assign(m.rmp, 4) == Status::kSuccess);
    REQUIRE(ok(pvalidate(m.rmp, Vmpl::k0, 4, PageSize::k4K, true)));
    CHECK(!m.store[4].runnable_vmsa());  // no VMSA bit
    REQUIRE(ok(adjust(m.rmp, Vmpl::k0, 4, PageSize::k4K, Vmpl::k1, Perms::kRead, true)));
    CHECK(m.store[4].runnable_vmsa());
    REQUIRE(ok(pvalidate(m.rmp, Vmpl::k0, 4, PageSize::k4K, false)));  // rescinded, VMSA bit kept
    CHECK(m.store[4].vmsa);
    CHECK(!m.store[4].runnable_vmsa());
    RmpEntry big = m.store[4];
    big.validated = true;
    big.size = PageSize::k2M;  // no operation makes one; the rule still holds
    CHECK(!big.runnable_vmsa());
    big.size = PageSize::k4K;
    big.owner = Owner::kFirmware;
    CHECK(!big.runnable_vmsa());
}

TEST_CASE("rmp: RMPADJUST refusals, each with its code, change nothing") {
    Machine m;
    REQUIRE(assign(m.rmp, 1) == Status::kSuccess);  // assigned, not validated
    for (uint64_t p = 8; p < 8 + kPagesPer2M; ++p) REQUIRE(assign(m.rmp, p) == Status::kSuccess);
    REQUIRE(assign(m.rmp, 2 * kPagesPer2M, PageSize::k2M) == Status::kSuccess);
    REQUIRE(ok(pvalidate(m.rmp, Vmpl::k0, 2 * kPagesPer2M, PageSize::k2M, true)));
    const auto before = m.snapshot();
    const uint64_t big = 2 * kPagesPer2M;
    struct Case {
        RmpadjustOp op;
        FaultKind fault;
        uint64_t code;
        Status status;
    } const cases[] = {
        {{Vmpl::k0, gpa(big), spa(big), 0, 0x0104}, FaultKind::kNone, 0, Status::kFailInput},          // VMPL4
        {{Vmpl::k0, gpa(big), spa(big), 0, 0x1001}, FaultKind::kNone, 0, Status::kFailInput},          // SSS bit
        {{Vmpl::k0, gpa(big), spa(big), 0, 0x20101}, FaultKind::kNone, 0, Status::kFailInput},         // bit 17
        {{Vmpl::k0, gpa(big), spa(big), 2, 0x0101}, FaultKind::kNone, 0, Status::kFailInput},          // RCX 2
        {{Vmpl::k0, gpa(big + 1), spa(big + 1), 1, 0x0101}, FaultKind::kNone, 0, Status::kFailInput},  // unaligned
        {{Vmpl::k0, gpa(8), spa(8), 1, 0x0101}, FaultKind::kNone, 0, Status::kFailInput},  // 2 MiB, 8 not aligned
        {{Vmpl::k0, gpa(0), spa(0), 1, 0x0101}, FaultKind::kNpf, 0x1'8000'0000, {}},       // head unassigned
        {{Vmpl::k0, gpa(big + 1), spa(big + 1), 0, 0x0101}, FaultKind::kNpf, 0x9'8000'0000, {}},    // 4K in 2M
        {{Vmpl::k0, gpa(1), spa(1), 0, 0x0101}, FaultKind::kVc, 0x404, {}},                         // not validated
        {{Vmpl::k3, gpa(big), spa(big), 0, 0x0102}, FaultKind::kNone, 0, Status::kFailPermission},  // target above
        {{Vmpl::k2, gpa(big), spa(big), 1, 0x0103}, FaultKind::kNone, 0, Status::kFailPermission},  // holds nothing
        {{Vmpl::k0, gpa(big), spa(big), 1, 0x10101}, FaultKind::kNone, 0, Status::kFailInput},      // 2 MiB VMSA
        {{Vmpl::k1, gpa(big), spa(big), 1, 0x10002}, FaultKind::kNone, 0, Status::kFailInput},      // also from VMPL1
    };
    for (const Case& c : cases) {
        CAPTURE(c.op.rdx);
        const Outcome o = m.rmp.rmpadjust(c.op);
        CHECK(o.fault.kind == c.fault);
        CHECK(o.fault.code == c.code);
        if (c.fault == FaultKind::kNone) CHECK(o.status == c.status);
        CHECK(m.snapshot() == before);
    }
    // 2 MiB over 4 KiB entries (validated first, so the size is what fails).
    for (uint64_t p = kPagesPer2M; p < 2 * kPagesPer2M; ++p) REQUIRE(assign(m.rmp, p) == Status::kSuccess);
    for (uint64_t p = kPagesPer2M; p < 2 * kPagesPer2M; ++p)
        REQUIRE(ok(pvalidate(m.rmp, Vmpl::k0, p, PageSize::k4K, true)));
    CHECK(adjust(m.rmp, Vmpl::k0, kPagesPer2M, PageSize::k2M, Vmpl::k1, 1).status == Status::kFailSizeMismatch);
}
