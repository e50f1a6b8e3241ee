// The RMP model's access checks, the host-write check and the per-VMPL NPT
// view (lib/warden/snp/rmp.hpp), and the property that ties them together.
#include <doctest/doctest.h>

#include <cstring>
#include <iterator>
#include <random>

#include "../fuzz/rmp_invariants.hpp"
#include "rmp_support.hpp"

using namespace rmp_test;

namespace {

constexpr uint64_t kBig = kPagesPer2M;        // a validated 2 MiB entry, VMPL1 read + execute-user
constexpr uint64_t kSpare = 2 * kPagesPer2M;  // hypervisor-owned 2 MiB but for one assigned page

// Pages in every state the checks tell apart.
void set_up(Machine& m) {
    Rmp& r = m.rmp;
    for (uint64_t p = 1; p <= 3; ++p) REQUIRE(assign(r, p) == Status::kSuccess);
    for (uint64_t p = 2; p <= 3; ++p) REQUIRE(ok(pvalidate(r, Vmpl::k0, p, PageSize::k4K, true)));
    REQUIRE(ok(adjust(r, Vmpl::k0, 2, PageSize::k4K, Vmpl::k1, Perms::kRead | Perms::kWrite)));
    REQUIRE(ok(adjust(r, Vmpl::k0, 2, PageSize::k4K, Vmpl::k2, Perms::kWrite)));  // write without read
    REQUIRE(ok(adjust(r, Vmpl::k0, 2, PageSize::k4K, Vmpl::k3, Perms::kExecSupervisor)));
    // A VMSA as COCONUT-SVSM makes one: the guest's VMPL may only read it.
    REQUIRE(ok(adjust(r, Vmpl::k0, 3, PageSize::k4K, Vmpl::k1, Perms::kRead, true)));
    REQUIRE(r.rmpupdate(spa(4), {Owner::kFirmware, {}, PageSize::k4K}) == Status::kSuccess);
    REQUIRE(r.rmpupdate(spa(5), {Owner::kGuest, gpa(50), PageSize::k4K}) == Status::kSuccess);
    REQUIRE(assign(r, kBig, PageSize::k2M) == Status::kSuccess);
    REQUIRE(ok(pvalidate(r, Vmpl::k0, kBig, PageSize::k2M, true)));
    REQUIRE(ok(adjust(r, Vmpl::k0, kBig, PageSize::k2M, Vmpl::k1, Perms::kRead | Perms::kExecUser)));
    REQUIRE(assign(r, kSpare + 6) == Status::kSuccess);
}

Access walk(Vmpl v, uint64_t page, AccessKind k, bool c_bit, PageSize npt = PageSize::k4K) {
    Access a = access(v, page, k, c_bit, npt);
    a.page_walk = true;
    return a;
}

}  // namespace

TEST_CASE("rmp: each refused access names its fault and EXITINFO1") {
    Machine m;
    set_up(m);
    using K = AccessKind;
    constexpr auto k2M = PageSize::k2M;
    struct Case {
        Access a;
        FaultKind kind;
        uint64_t code;
        const char* reason;  // a word the reason must contain
    } const cases[] = {
        // P | U | RMP | final | ENC: a private access to a hypervisor page.
        {access(Vmpl::k0, 0, K::kRead), FaultKind::kNpf, 0x5'8000'0005, "hypervisor"},
        {access(Vmpl::k0, 1, K::kRead), FaultKind::kVc, 0x404, "not validated"},
        {access(Vmpl::k0, 1, K::kWrite, false), FaultKind::kNpf, 0x1'8000'0007, "shared write"},  // no ENC
        {access(Vmpl::k0, 1, K::kRead, false), FaultKind::kNone, 0, ""},  // shared reads are not checked
        {access(Vmpl::k0, 0, K::kWrite, false), FaultKind::kNone, 0, ""},
        {access(Vmpl::k1, 2, K::kWrite), FaultKind::kNone, 0, ""},
        {access(Vmpl::k1, 2, K::kExecUser), FaultKind::kNpf, 0x15'8000'0015, "CPL3"},  // + fetch, VMPL
        {access(Vmpl::k2, 2, K::kWrite), FaultKind::kNpf, 0x15'8000'0007, "read and write"},
        {access(Vmpl::k2, 2, K::kRead), FaultKind::kNpf, 0x15'8000'0005, "read"},
        {access(Vmpl::k3, 2, K::kExecSupervisor), FaultKind::kNone, 0, ""},
        {access(Vmpl::k3, 2, K::kExecUser), FaultKind::kNpf, 0x15'8000'0015, "CPL3"},
        {access(Vmpl::k3, 1, K::kExecSupervisor, false), FaultKind::kVc, 0x404, "not validated"},  // fetch: private
        {access(Vmpl::k1, 3, K::kWrite), FaultKind::kNpf, 0x15'8000'0007, "VMSA"},
        {access(Vmpl::k1, 3, K::kRead), FaultKind::kNone, 0, ""},
        {access(Vmpl::k0, 3, K::kWrite), FaultKind::kNone, 0, ""},
        {access(Vmpl::k0, 4, K::kRead), FaultKind::kNpf, 0x5'8000'0005, "AMD-SP"},
        {access(Vmpl::k0, 5, K::kRead), FaultKind::kNpf, 0x5'8000'0005, "another GPA"},
        {access(Vmpl::k0, kPages, K::kRead), FaultKind::kNpf, 0x5'8000'0005, "not covered"},
        {access(Vmpl::k1, kBig + 88, K::kRead), FaultKind::kNpf, 0x5'8000'0005, "PSMASH"},  // 4 KiB leaf
        {access(Vmpl::k1, kBig + 88, K::kRead, true, k2M), FaultKind::kNone, 0, ""},
        {access(Vmpl::k1, kBig + 88, K::kExecUser, true, k2M), FaultKind::kNone, 0, ""},
        {access(Vmpl::k1, kBig + 88, K::kWrite, true, k2M), FaultKind::kNpf, 0x15'8000'0007, "write"},
        {access(Vmpl::k0, 2, K::kRead, true, k2M), FaultKind::kNpf, 0x5'8000'0005, "2 MiB nested leaf"},
        // Guest page-table walks: private whatever the C-bit (bit 33, not 32).
        {walk(Vmpl::k0, 1, K::kRead, false), FaultKind::kVc, 0x404, "not validated"},
        {walk(Vmpl::k0, 0, K::kRead, true), FaultKind::kNpf, 0x6'8000'0005, "hypervisor"},
        {walk(Vmpl::k0, kBig, K::kWrite, true, k2M), FaultKind::kNpf, 0x6'8000'0007, "4 KiB access"},  // A/D
        {walk(Vmpl::k1, 2, K::kWrite, false), FaultKind::kNone, 0, ""},
        // A shared write through a 2 MiB leaf needs all 512 pages unassigned.
        {access(Vmpl::k0, kSpare + 1, K::kWrite, false, k2M), FaultKind::kNpf, 0x1'8000'0007, "shared write"},
        {access(Vmpl::k0, kSpare + 1, K::kWrite, false), FaultKind::kNone, 0, ""},
    };
    for (const Case& c : cases) {
        CAPTURE(c.a.spa.raw());
        CAPTURE(static_cast<int>(c.a.vmpl));
        CAPTURE(static_cast<int>(c.a.kind));
        const Fault f = m.rmp.check_access(c.a);
        CHECK(f.kind == c.kind);
        CHECK(f.code == c.code);
        CHECK(std::strstr(f.reason, c.reason) != nullptr);
    }
}

TEST_CASE("rmp: the host writes only hypervisor-owned memory (Table 15-39, host row)") {
    Machine m;
    set_up(m);
    CHECK(m.rmp.check_host_write(spa(0), PageSize::k4K).allowed());
    CHECK(m.rmp.check_host_write(spa(kPages), PageSize::k4K).allowed());  // not covered: the host's
    const Fault f = m.rmp.check_host_write(spa(1), PageSize::k4K);
    CHECK(f.kind == FaultKind::kPf);
    CHECK(f.code == 0x8000'0003);  // present, write, RMP
    CHECK(m.rmp.check_host_write(spa(kSpare + 1), PageSize::k4K).allowed());
    CHECK(m.rmp.check_host_write(spa(kSpare + 1), PageSize::k2M).kind == FaultKind::kPf);
}

TEST_CASE("rmp: the NPT view per VMPL and alias") {
    Machine m;
    set_up(m);
    auto view = [&](Vmpl v, uint64_t page, PageSize leaf = PageSize::k4K) {
        return m.rmp.npt_view(v, gpa(page), spa(page), leaf);
    };
    auto rights = [](const NptRights& r) {
        return (r.present ? 1 : 0) | (r.writable ? 2 : 0) | (r.executable ? 4 : 0) | (r.exact ? 8 : 0);
    };
    constexpr int P = 1, W = 2, X = 4, E = 8;
    NptView v = view(Vmpl::k0, 0);  // hypervisor memory: shared only
    CHECK(rights(v.private_alias) == E);
    CHECK(rights(v.shared_alias) == (P | W | E));
    v = view(Vmpl::k0, 2);  // fetches through the shared alias are private fetches
    CHECK(rights(v.private_alias) == (P | W | X | E));
    CHECK(rights(v.shared_alias) == (P | X | E));
    v = view(Vmpl::k1, 2);
    CHECK(rights(v.private_alias) == (P | W | E));
    CHECK(rights(v.shared_alias) == (P | E));
    v = view(Vmpl::k2, 2);  // write without read: nothing
    CHECK(rights(v.private_alias) == E);
    v = view(Vmpl::k3, 2);  // execute-supervisor only: not expressible
    CHECK(rights(v.private_alias) == 0);
    CHECK(rights(v.shared_alias) == P);
    v = view(Vmpl::k0, 1);  // not validated
    CHECK(rights(v.private_alias) == E);
    CHECK(rights(v.shared_alias) == (P | E));
    v = view(Vmpl::k1, kBig + 3);  // a 2 MiB entry needs a 2 MiB leaf
    CHECK(rights(v.private_alias) == E);
    v = view(Vmpl::k1, kBig + 3, PageSize::k2M);
    CHECK(rights(v.private_alias) == P);  // read + execute-user: X withheld, not exact
    v = view(Vmpl::k0, kSpare + 1, PageSize::k2M);
    CHECK(rights(v.shared_alias) == (P | E));
}

TEST_CASE(
    "rmp: over random operation sequences the view never allows a refused access, grants stay within the "
    "granter's rights") {
    std::mt19937_64 rng(16);
    constexpr uint64_t kHot[] = {0, 1, 2, 511, 512, 513, 1023, 1024, 1535};
    auto pick = [&] { return rng() % 4 != 0 ? kHot[rng() % std::size(kHot)] : rng() % (kPages + 2); };
    size_t grants = 0, violations = 0, private_pages = 0;
    for (int seq = 0; seq < 100; ++seq) {
        Machine m;
        for (int step = 0; step < 300; ++step) {
            const uint64_t page = pick();
            const auto size = rng() % 3 == 0 ? PageSize::k2M : PageSize::k4K;
            const uint64_t at = size == PageSize::k2M ? page & ~(kPagesPer2M - 1) : page;
            const auto vmpl = static_cast<Vmpl>(rng() % 2 == 0 ? 0 : rng() % kVmpls);
            switch (rng() % 6) {
            case 0:
                (void)m.rmp.rmpupdate(spa(at), {rng() % 3 == 0 ? static_cast<Owner>(rng() % 3) : Owner::kGuest,
                                                gpa(rng() % 8 ? at : at + 512), size});
                break;
            case 1: (void)m.rmp.psmash(spa(at)); break;
            case 2: (void)m.rmp.launch_update(spa(at), {rng() % 4 == 0, {Perms{uint8_t(rng() % 16)}, {}, {}}}); break;
            case 3: (void)pvalidate(m.rmp, vmpl, at, size, rng() % 4 != 0); break;
            default: {
                const auto target = static_cast<Vmpl>(rng() % kVmpls);
                const auto perms = static_cast<uint8_t>(rng() % 16);
                const RmpEntry* e = m.rmp.find(spa(at));
                const Perms held = e != nullptr ? e->perms(vmpl) : Perms{};
                if (ok(adjust(m.rmp, vmpl, at, size, target, perms))) {
                    ++grants;
                    CHECK(Perms{perms}.within(held));
                    CHECK(vmpl_index(target) > vmpl_index(vmpl));
                }
            }
            }
            const char* shape = rmp_inv::shape_violation(m.rmp);
            CHECK_MESSAGE(shape == nullptr, (shape ? shape : ""));
            for (int probe = 0; probe < 4; ++probe) {
                const uint64_t p = pick();
                const auto leaf = rng() % 3 == 0 ? PageSize::k2M : PageSize::k4K;
                const GuestPhysAddr g = rng() % 8 == 0 ? gpa(p + 1) : gpa(p);
                const char* bad = rmp_inv::view_violation(m.rmp, static_cast<Vmpl>(rng() % kVmpls), g, spa(p), leaf);
                private_pages += m.rmp.npt_view(Vmpl::k0, g, spa(p), leaf).private_alias.present ? 1 : 0;
                if (bad != nullptr) {
                    ++violations;
                    FAIL_CHECK(bad);
                }
            }
        }
    }
    CHECK(violations == 0);
    CHECK(grants > 500);          // the sequences reach RMPADJUST's success path
    CHECK(private_pages > 5000);  // and probe pages the guest can use
}
