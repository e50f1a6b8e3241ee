#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "warden/sev/page_state.hpp"

using namespace warden;
using namespace warden::sev;

namespace {

// A fake RMP: pages validated or not, and 2 MiB regions that are held as
// 4 KiB entries (a 2 MiB PVALIDATE there is a size mismatch).
class FakeRmp final : public Validator {
public:
    Result<Validation> pvalidate(PhysAddr page, bool huge, bool valid) override {
        ++calls;
        if (page.raw() + (huge ? kLargePageSize : kPageSize) > limit)
            return Fail(Error::kInvalidArgument);  // FAIL_INPUT
        if (huge && small_regions.count(page.raw())) return Fail(Error::kMisaligned);
        const uint64_t n = huge ? 512 : 1;
        bool changed = false;
        for (uint64_t i = 0; i < n; ++i) {
            const uint64_t p = page.raw() + i * kPageSize;
            changed = changed || (validated.count(p) != 0) != valid;
            if (valid)
                validated.insert(p);
            else
                validated.erase(p);
        }
        return changed ? Validation::kChanged : Validation::kUnchanged;
    }
    std::set<uint64_t> validated;
    std::set<uint64_t> small_regions;
    uint64_t limit = ~uint64_t{0};
    int calls = 0;
};

constexpr uint64_t kMiB = 1 << 20;

}  // namespace

TEST_CASE("page state: validation uses 2 MiB pages where aligned, 4 KiB at the edges") {
    FakeRmp rmp;
    const auto c = validate_range(rmp, PhysRange{PhysAddr(kMiB), 4 * kMiB}, true);  // 1 MiB .. 5 MiB
    REQUIRE(c.ok());
    CHECK(c->changed_2m == 1);    // 2..4 MiB
    CHECK(c->changed_4k == 512);  // 1..2 and 4..5 MiB
    CHECK(rmp.validated.size() == 1024);
    CHECK(rmp.calls == 513);
}

TEST_CASE("page state: a size mismatch falls back to 512 small pages") {
    FakeRmp rmp;
    rmp.small_regions.insert(2 * kMiB);
    const auto c = validate_range(rmp, PhysRange{PhysAddr(2 * kMiB), 4 * kMiB}, true);
    REQUIRE(c.ok());
    CHECK(c->changed_2m == 1);
    CHECK(c->changed_4k == 512);
    CHECK(rmp.validated.size() == 1024);
}

TEST_CASE("page state: validating twice reports no change (CF), errors stop the walk") {
    FakeRmp rmp;
    REQUIRE(validate_range(rmp, PhysRange{PhysAddr(0), 2 * kMiB}, true).ok());
    const auto again = validate_range(rmp, PhysRange{PhysAddr(0), 2 * kMiB}, true);
    REQUIRE(again.ok());
    CHECK(again->unchanged == 1);
    CHECK(again->changed_2m == 0);
    rmp.limit = 3 * kMiB;
    CHECK(validate_range(rmp, PhysRange{PhysAddr(2 * kMiB), 2 * kMiB}, true).error() == Error::kInvalidArgument);
    CHECK(validate_range(rmp, PhysRange{PhysAddr(0x800), kPageSize}, true).error() == Error::kMisaligned);
}

namespace {

// A fake hypervisor that handles at most `per_exit` PSC entries per VMGEXIT.
class FakeHypervisor final : public Hypervisor {
public:
    Result<void> vmgexit(Ghcb& g) override {
        ++exits;
        if (g.get(GhcbField::kSwExitCode) != exit::kPageStateChange || !g.is_valid(GhcbField::kSwScratch)) {
            return Fail(Error::kInvalidArgument);
        }
        auto buf = g.shared_buffer();
        uint16_t cur = static_cast<uint16_t>(buf[0] | (buf[1] << 8));
        const uint16_t end = static_cast<uint16_t>(buf[2] | (buf[3] << 8));
        for (unsigned k = 0; k < per_exit && cur <= end; ++k, ++cur) {
            uint64_t e = 0;
            for (int b = 0; b < 8; ++b) e |= uint64_t{buf[8 + cur * 8 + b]} << (8 * b);
            state[(e >> 12) & ((1ull << 40) - 1)] = static_cast<int>((e >> 52) & 0xf);
        }
        if (stall) cur = static_cast<uint16_t>(buf[0] | (buf[1] << 8));
        buf[0] = static_cast<uint8_t>(cur);
        buf[1] = static_cast<uint8_t>(cur >> 8);
        if (corrupt) buf[2] ^= 1;
        g.set(GhcbField::kSwExitInfo1, fail ? 1 : 0);
        return {};
    }
    std::map<uint64_t, int> state;
    unsigned per_exit = 1000;
    int exits = 0;
    bool stall = false, corrupt = false, fail = false;
};

std::vector<PscRequest> pages(uint64_t first, size_t n, PscOp op) {
    std::vector<PscRequest> v;
    for (size_t i = 0; i < n; ++i) v.push_back({first + i, op, false});
    return v;
}

}  // namespace

TEST_CASE("page state: entries encode GFN, operation and size (SPEC-FACTS 5)") {
    CHECK(encode_psc_entry({0x12345, PscOp::kShared, false}) == ((0x12345ull << 12) | (2ull << 52)));
    CHECK(encode_psc_entry({0x200, PscOp::kPrivate, true}) == ((0x200ull << 12) | (1ull << 52) | (1ull << 56)));
    CHECK(kPscMaxEntries == 253);
}

TEST_CASE("page state: large requests are batched, partial progress is resumed") {
    FakeHypervisor hv;
    hv.per_exit = 100;
    auto ghcb = std::make_unique<Ghcb>();
    const auto reqs = pages(0x1000, 600, PscOp::kShared);
    REQUIRE(change_page_state(hv, *ghcb, 0x7000000, reqs).ok());
    CHECK(hv.state.size() == 600);
    CHECK(hv.state[0x1000] == 2);
    CHECK(hv.state[0x1000 + 599] == 2);
    CHECK(hv.exits == 7);  // 253 + 253 + 94 entries at 100 per exit: 3 + 3 + 1
    CHECK(ghcb->get(GhcbField::kSwScratch) == 0x7000000 + kGhcbSharedBuffer);
}

TEST_CASE("page state: a hypervisor that errs, stalls or corrupts the header is refused") {
    auto ghcb = std::make_unique<Ghcb>();
    const auto reqs = pages(0x1000, 10, PscOp::kPrivate);
    FakeHypervisor failing;
    failing.fail = true;
    CHECK(change_page_state(failing, *ghcb, 0x7000000, reqs).error() == Error::kDenied);
    FakeHypervisor stalling;
    stalling.stall = true;
    CHECK(change_page_state(stalling, *ghcb, 0x7000000, reqs).error() == Error::kBusy);
    FakeHypervisor corrupting;
    corrupting.corrupt = true;
    CHECK(change_page_state(corrupting, *ghcb, 0x7000000, reqs).error() == Error::kInvalidArgument);
}
