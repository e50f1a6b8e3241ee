#include <doctest/doctest.h>

#include <vector>

#include "warden/igvm/guest_ram.hpp"

using namespace warden;
using namespace warden::igvm;

namespace {

constexpr uint64_t kMiB = 1 << 20;

struct R {
    uint64_t base, size;
    RegionType type = RegionType::kRam;
};
MemoryMap map(std::initializer_list<R> regions) {
    MemoryMap m;
    for (const R& r : regions) REQUIRE(m.add(PhysAddr(r.base), r.size, r.type).ok());
    return m;
}
PhysRange range(uint64_t base, uint64_t size) { return PhysRange{PhysAddr(base), size}; }
std::vector<std::pair<uint64_t, uint64_t>> pairs(std::span<const PhysRange> r) {
    std::vector<std::pair<uint64_t, uint64_t>> v;
    for (const PhysRange& x : r) v.emplace_back(x.base.raw(), x.size);
    return v;
}

}  // namespace

TEST_CASE("guest ram: the emulated host's one RAM entry, minus SVSM memory in its middle, is two ranges") {
    const MemoryMap m = map({{0, 384 * kMiB}});
    PhysRange out[4];
    auto n = guest_ram(m, range(32 * kMiB, 32 * kMiB), out);
    REQUIRE(n.ok());
    CHECK(pairs({out, *n}) == std::vector<std::pair<uint64_t, uint64_t>>{{0, 32 * kMiB}, {64 * kMiB, 320 * kMiB}});
}

TEST_CASE("guest ram: SVSM memory outside every region (512 GiB) leaves all RAM the guest's") {
    const MemoryMap m = map({{0, 0xa0000}, {0xa0000, 0x60000, RegionType::kReserved}, {kMiB, 383 * kMiB}});
    PhysRange out[4];
    auto n = guest_ram(m, range(512 * 1024 * kMiB, 32 * kMiB), out);
    REQUIRE(n.ok());
    CHECK(pairs({out, *n}) == std::vector<std::pair<uint64_t, uint64_t>>{{0, 0xa0000}, {kMiB, 383 * kMiB}});
    // Right after the last region, touching none of it.
    n = guest_ram(m, range(384 * kMiB, 32 * kMiB), out);
    REQUIRE(n.ok());
    CHECK(*n == 2);
}

TEST_CASE("guest ram: boundaries") {
    PhysRange out[8];
    SUBCASE("SVSM memory at the start of RAM leaves the rest") {
        auto n = guest_ram(map({{0, 16 * kMiB}}), range(0, 4 * kMiB), out);
        REQUIRE(n.ok());
        CHECK(pairs({out, *n}) == std::vector<std::pair<uint64_t, uint64_t>>{{4 * kMiB, 12 * kMiB}});
    }
    SUBCASE("SVSM memory at the end of RAM leaves the start") {
        auto n = guest_ram(map({{0, 16 * kMiB}}), range(12 * kMiB, 4 * kMiB), out);
        REQUIRE(n.ok());
        CHECK(pairs({out, *n}) == std::vector<std::pair<uint64_t, uint64_t>>{{0, 12 * kMiB}});
    }
    SUBCASE("other RAM regions stay whole; reserved ones are not the guest's") {
        auto n = guest_ram(map({{0, 0xa0000},
                                {0xa0000, 0x60000, RegionType::kReserved},
                                {kMiB, 63 * kMiB},
                                {4096 * kMiB, 1024 * kMiB}}),
                           range(32 * kMiB, 16 * kMiB), out);
        REQUIRE(n.ok());
        CHECK(pairs({out, *n}) ==
              std::vector<std::pair<uint64_t, uint64_t>>{
                  {0, 0xa0000}, {kMiB, 31 * kMiB}, {48 * kMiB, 16 * kMiB}, {4096 * kMiB, 1024 * kMiB}});
    }
    SUBCASE("edges that are not page aligned are trimmed inwards") {
        auto n = guest_ram(map({{0x800, 0x3000}, {16 * kMiB, 16 * kMiB}}), range(16 * kMiB, 0x1800), out);
        REQUIRE(n.ok());
        CHECK(pairs({out, *n}) ==
              std::vector<std::pair<uint64_t, uint64_t>>{{0x1000, 0x2000}, {16 * kMiB + 0x2000, 16 * kMiB - 0x2000}});
    }
    SUBCASE("a sliver smaller than a page is no range") {
        auto n = guest_ram(map({{0, 0x800}, {kMiB, kMiB}}), range(kMiB, 0x1000), out);
        REQUIRE(n.ok());
        CHECK(pairs({out, *n}) == std::vector<std::pair<uint64_t, uint64_t>>{{kMiB + 0x1000, kMiB - 0x1000}});
    }
    SUBCASE("exactly as many ranges as out holds") {
        PhysRange two[2];
        CHECK(guest_ram(map({{0, 16 * kMiB}}), range(4 * kMiB, kMiB), two).value() == 2);
    }
}

TEST_CASE("guest ram: refusals") {
    PhysRange out[2];
    struct Case {
        const char* what;
        MemoryMap m;
        PhysRange svsm;
        Error want;
    };
    const Case cases[] = {
        {"SVSM memory empty", map({{0, 16 * kMiB}}), range(4 * kMiB, 0), Error::kOutOfRange},
        {"SVSM memory wraps", map({{0, 16 * kMiB}}), range(~uint64_t{0} - 4095, 8192), Error::kOutOfRange},
        {"SVSM memory half outside RAM", map({{0, 16 * kMiB}}), range(15 * kMiB, 2 * kMiB), Error::kOutOfRange},
        {"SVSM memory in reserved memory", map({{0, 16 * kMiB}, {16 * kMiB, 16 * kMiB, RegionType::kReserved}}),
         range(20 * kMiB, kMiB), Error::kOutOfRange},
        {"SVSM memory across two RAM regions", map({{0, 16 * kMiB}, {16 * kMiB, 16 * kMiB}}),
         range(15 * kMiB, 2 * kMiB), Error::kOutOfRange},
        {"SVSM memory is all the RAM", map({{0, 16 * kMiB}}), range(0, 16 * kMiB), Error::kNotFound},
        {"more ranges than out holds", map({{0, 16 * kMiB}, {32 * kMiB, kMiB}}), range(4 * kMiB, kMiB),
         Error::kNoMemory},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        auto n = guest_ram(c.m, c.svsm, out);
        REQUIRE_FALSE(n.ok());
        CHECK(n.error() == c.want);
    }
}
