#include <doctest/doctest.h>

#include <array>

#include "warden/svsm/guest_layout.hpp"

using namespace warden;
using namespace warden::svsm::entry;

namespace {

// The harness guest's header (guest/harness/entry.S): 1 MiB, 628 KiB, 8 vCPUs.
constexpr ImageHeader kHeader{.load_gpa = 0x100000,
                              .file_size = 0xb000,
                              .memory_size = 0x9d000,
                              .entry = 0x100040,
                              .scratch_size = 0x400000,
                              .max_vcpus = 8};
constexpr PhysRange kRam{PhysAddr(0), 64 << 20};
constexpr PhysRange kCaas{PhysAddr(4 << 20), 64 * 4096};  // the kernel's initial Calling Areas

}  // namespace

TEST_CASE("guest_layout: the loader's pages follow the image in its 2 MiB page; the scratch skips what to avoid") {
    const PhysRange avoid[] = {kCaas};
    auto l = plan_layout(kHeader, 2, kRam, avoid);
    REQUIRE(l.ok());
    CHECK(l->validated.base == PhysAddr(0));
    CHECK(l->validated.size == 0x200000);
    CHECK(l->tables == 0x19d000);
    CHECK(l->secrets == l->tables + kLoaderTablePages * 4096);
    CHECK(l->cpuid == l->secrets + 4096);
    CHECK(l->boot_page(0) == l->cpuid + 4096);
    CHECK(l->boot_page(1) == l->boot_page(0) + 4096);
    CHECK(l->caa(0) == l->boot_page(1) + 4096);
    CHECK(l->caa(1) + 4096 <= l->validated.end().raw());
    CHECK(l->scratch.base == PhysAddr(6 << 20));  // 2 MiB would reach the Calling Areas at 4 MiB
    CHECK(l->scratch.size == kHeader.scratch_size);
    CHECK(l->vcpus == 2);
}

TEST_CASE("guest_layout: boundaries") {
    SUBCASE("RAM that ends exactly at the scratch's end") {
        auto l = plan_layout(kHeader, 1, PhysRange{PhysAddr(0), 6 << 20}, {});
        REQUIRE(l.ok());
        CHECK(l->scratch.end() == PhysAddr(6 << 20));
    }
    SUBCASE("every vCPU the image has room for") {
        auto l = plan_layout(kHeader, 8, kRam, {});
        REQUIRE(l.ok());
        CHECK(l->caa(7) + 4096 <= l->validated.end().raw());
    }
    SUBCASE("loader pages spilling past the image's 2 MiB page take the next one") {
        ImageHeader h = kHeader;
        h.memory_size = 0x100000 - 0x1000;  // ends one page below 2 MiB
        auto l = plan_layout(h, 1, kRam, {});
        REQUIRE(l.ok());
        CHECK(l->validated.size == 0x400000);
        CHECK(l->scratch.base == PhysAddr(4 << 20));
    }
    SUBCASE("no scratch asked for") {
        ImageHeader h = kHeader;
        h.scratch_size = 0;
        auto l = plan_layout(h, 1, PhysRange{PhysAddr(0), 2 << 20}, {});
        REQUIRE(l.ok());
        CHECK(l->scratch.size == 0);
    }
}

TEST_CASE("guest_layout: placements refused, each with its error") {
    struct Case {
        const char* what;
        ImageHeader header;
        uint32_t vcpus;
        PhysRange ram;
        PhysRange avoid;
        Error want;
    };
    ImageHeader high = kHeader;
    high.load_gpa = 0x3000000, high.entry = 0x3000040;
    const Case cases[] = {
        {"no vCPU", kHeader, 0, kRam, {}, Error::kInvalidArgument},
        {"more vCPUs than the image has room for", kHeader, 9, kRam, {}, Error::kInvalidArgument},
        {"RAM starting above the image's 2 MiB page",
         kHeader,
         1,
         PhysRange{PhysAddr(0x100000), 64 << 20},
         {},
         Error::kOutOfRange},
        {"the image past the end of RAM", high, 1, PhysRange{PhysAddr(0), 0x3000000}, {}, Error::kOutOfRange},
        {"the scratch past the end of RAM", kHeader, 1, PhysRange{PhysAddr(0), 5 << 20}, {}, Error::kOutOfRange},
        {"the scratch pushed past the end of RAM", kHeader, 1, PhysRange{PhysAddr(0), 8 << 20}, kCaas,
         Error::kOutOfRange},
        {"SVSM memory under the image", kHeader, 1, kRam, PhysRange{PhysAddr(0x150000), 0x1000}, Error::kOverlap},
        {"SVSM memory under the loader's pages", kHeader, 1, kRam, PhysRange{PhysAddr(0x1a0000), 0x1000},
         Error::kOverlap},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        const PhysRange avoid[] = {c.avoid};
        auto l = plan_layout(c.header, c.vcpus, c.ram, std::span<const PhysRange>(avoid, c.avoid.size ? 1 : 0));
        REQUIRE_FALSE(l.ok());
        CHECK(l.error() == c.want);
    }
}

TEST_CASE("guest_layout: the loader's tables identity-map 0..4 GiB, private, A and D preset") {
    const uint64_t t = 0x19d000, c = uint64_t{1} << 47;
    std::array<uint64_t, 512> page{};
    loader_table_page(t, c, 0, page);
    CHECK(page[0] == ((t + 0x1000) | c | 0x23));
    CHECK(page[1] == 0);
    loader_table_page(t, c, 1, page);
    for (uint64_t g = 0; g < 4; ++g) CHECK(page[g] == ((t + (2 + g) * 0x1000) | c | 0x23));
    CHECK(page[4] == 0);
    loader_table_page(t, c, 2, page);
    CHECK(page[0] == (c | 0xe3));
    CHECK(page[511] == ((uint64_t{511} << 21) | c | 0xe3));
    loader_table_page(t, c, 5, page);
    CHECK(page[0] == ((uint64_t{3} << 30) | c | 0xe3));
    loader_table_page(t, c, 6, page);  // past the tables: nothing
    CHECK(page[0] == 0);
}
