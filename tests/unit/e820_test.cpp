#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "byte_builder.hpp"
#include "warden/e820.hpp"

using namespace warden;
using test_bytes::Bytes;

namespace {

struct Entry {
    uint64_t addr, size;
    uint32_t type;
};

Bytes table(std::initializer_list<Entry> entries) {
    Bytes b(entries.size() * e820::kEntrySize, 0);
    size_t at = 0;
    for (const Entry& e : entries) {
        test_bytes::put_le(b, at, e.addr, 8);
        test_bytes::put_le(b, at + 8, e.size, 8);
        test_bytes::put_le(b, at + 16, e.type, 4);
        at += e820::kEntrySize;
    }
    return b;
}

// n adjacent 4 KiB RAM entries from 1 MiB up.
Bytes ram_pages(size_t n) {
    Bytes b(n * e820::kEntrySize, 0);
    for (size_t i = 0; i < n; ++i) {
        test_bytes::put_le(b, i * e820::kEntrySize, 0x100000 + i * 0x1000, 8);
        test_bytes::put_le(b, i * e820::kEntrySize + 8, 0x1000, 8);
        test_bytes::put_le(b, i * e820::kEntrySize + 16, 1, 4);
    }
    return b;
}

Bytes read_data(const char* name) {
    std::ifstream in(std::string(WARDEN_SOURCE_DIR "/tests/unit/data/") + name, std::ios::binary);
    REQUIRE(in.good());
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kAmdHtHole = 0xfd00000000;  // QEMU hw/i386/pc.c AMD_HT_START, 12 GiB long

}  // namespace

TEST_CASE("e820: the entry layout matches QEMU's packed struct e820_entry") {
    CHECK(e820::kEntrySize == 20);
    CHECK(e820::kFileName == "etc/e820");
}

TEST_CASE("e820: a table shaped like QEMU's for -bios -m 128M parses, in QEMU's order") {
    // QEMU adds the AMD HyperTransport hole before RAM; the map comes out sorted.
    const auto b = table({{kAmdHtHole, 0x300000000, 2}, {0, 128 * kMiB, 1}});
    MemoryMap m;
    REQUIRE(e820::parse_table(b, m).ok());
    REQUIRE(m.size() == 2);
    CHECK(m.regions()[0].range.base == PhysAddr(0));
    CHECK(m.regions()[0].type == RegionType::kRam);
    CHECK(m.regions()[1].range.base == PhysAddr(kAmdHtHole));
    CHECK(m.regions()[1].type == RegionType::kReserved);
    CHECK(m.ram_bytes() == 128 * kMiB);
    CHECK(m.is_ram(PhysRange{PhysAddr(0), 128 * kMiB}));
}

TEST_CASE("e820: the bytes QEMU 7.2 serves under TCG parse") {
    const auto b = read_data("qemu72-pc-128m-tcg.e820");
    REQUIRE(b.size() == 2 * e820::kEntrySize);
    MemoryMap m;
    REQUIRE(e820::parse_table(b, m).ok());
    REQUIRE(m.size() == 2);
    CHECK(m.regions()[0].range.size == 128 * kMiB);
    CHECK(m.regions()[0].type == RegionType::kRam);
    CHECK(m.regions()[1].range.base == PhysAddr(kAmdHtHole));
    CHECK(m.regions()[1].range.size == 0x300000000);
    CHECK(m.ram_bytes() == 128 * kMiB);
}

TEST_CASE("e820: the bytes QEMU 7.2 serves under KVM parse, with the identity-map reservation") {
    const auto b = read_data("qemu72-pc-128m-kvm.e820");
    REQUIRE(b.size() == 3 * e820::kEntrySize);
    MemoryMap m;
    REQUIRE(e820::parse_table(b, m).ok());
    REQUIRE(m.size() == 3);
    CHECK(m.regions()[0].type == RegionType::kRam);
    CHECK(m.regions()[1].range.base == PhysAddr(0xfeffc000));
    CHECK(m.regions()[1].range.size == 0x4000);
    CHECK(m.regions()[1].type == RegionType::kReserved);
    CHECK(m.regions()[2].range.base == PhysAddr(kAmdHtHole));
    CHECK(m.ram_bytes() == 128 * kMiB);
}

TEST_CASE("e820: the ACPI and other defined types are kept") {
    const auto b = table({{0, 0x9fc00, 1},
                          {0x9fc00, 0x400, 2},
                          {0x7fe0000, 0x20000, 3},
                          {0x7fd0000, 0x10000, 4},
                          {0x100000000, 0x1000, 5},
                          {0x100001000, 0x1000, 6},
                          {0x100002000, 0x1000, 7}});
    MemoryMap m;
    REQUIRE(e820::parse_table(b, m).ok());
    REQUIRE(m.size() == 7);
    CHECK(m.regions()[2].type == RegionType::kAcpiNvs);
    CHECK(m.regions()[3].type == RegionType::kAcpiReclaimable);
    CHECK(m.regions()[4].type == RegionType::kUnusable);
    CHECK(m.regions()[5].type == RegionType::kDisabled);
    CHECK(m.regions()[6].type == RegionType::kPersistent);
    CHECK(m.ram_bytes() == 0x9fc00);
}

TEST_CASE("e820: unknown region types are kept as reserved, never RAM") {
    const auto b = table({{0x100000, 0x100000, 99}, {0x200000, 0x1000, 0}, {0x300000, 0x1000, 0xffffffff}});
    MemoryMap m;
    REQUIRE(e820::parse_table(b, m).ok());
    REQUIRE(m.size() == 3);
    for (const MemoryRegion& r : m.regions()) CHECK(r.type == RegionType::kReserved);
    CHECK(m.ram_bytes() == 0);
}

TEST_CASE("e820: boundaries") {
    MemoryMap m;
    SUBCASE("one entry") {
        REQUIRE(e820::parse_table(table({{0, 0x1000, 1}}), m).ok());
        CHECK(m.size() == 1);
    }
    SUBCASE("exactly MemoryMap::kMaxRegions entries") {
        REQUIRE(e820::parse_table(ram_pages(MemoryMap::kMaxRegions), m).ok());
        CHECK(m.size() == MemoryMap::kMaxRegions);
        CHECK(m.ram_bytes() == MemoryMap::kMaxRegions * 0x1000);
    }
    SUBCASE("zero-length entries are dropped") {
        REQUIRE(e820::parse_table(table({{0, 0x1000, 1}, {0x5000, 0, 1}}), m).ok());
        CHECK(m.size() == 1);
    }
    SUBCASE("RAM entries that touch do not overlap") {
        REQUIRE(e820::parse_table(table({{0, 0x1000, 1}, {0x1000, 0x1000, 1}}), m).ok());
        CHECK(m.ram_bytes() == 0x2000);
    }
    SUBCASE("reserved entries may overlap each other") {
        REQUIRE(e820::parse_table(table({{0xf0000, 0x10000, 2}, {0xf8000, 0x10000, 2}}), m).ok());
        CHECK(m.size() == 2);
    }
    SUBCASE("an entry ending one byte below 2^64") {
        REQUIRE(e820::parse_table(table({{0xfffffffffffff000, 0xfff, 2}}), m).ok());
        CHECK(m.size() == 1);
    }
}

TEST_CASE("e820: malformed tables fail with the exact error and leave the caller's map untouched") {
    MemoryMap m;
    REQUIRE(m.add(PhysAddr(0x1000), 0x1000, RegionType::kRam).ok());
    const auto one = table({{0, 0x1000, 1}});
    struct Bad {
        const char* what;
        Bytes bytes;
        Error expected;
    };
    const Bad cases[] = {
        {"empty file", {}, Error::kNotFound},
        {"shorter than an entry", Bytes(one.begin(), one.end() - 1), Error::kTruncated},
        {"one byte past an entry", Bytes(e820::kEntrySize + 1, 0), Error::kTruncated},
        {"the 24-byte PVH entry size", Bytes(24, 0), Error::kTruncated},
        {"more entries than the map holds", ram_pages(MemoryMap::kMaxRegions + 1), Error::kOutOfRange},
        {"wrapping range", table({{0xfffffffffffff000, 0x2000, 1}}), Error::kOverflow},
        {"range ending exactly at 2^64", table({{0xfffffffffffff000, 0x1000, 2}}), Error::kOverflow},
        {"overlapping RAM", table({{0x100000, 0x200000, 1}, {0x200000, 0x1000, 1}}), Error::kOverlap},
        {"reserved inside RAM", table({{0, 128 * kMiB, 1}, {0x9fc00, 0x400, 2}}), Error::kOverlap},
        {"RAM inside reserved", table({{0xf0000, 0x10000, 2}, {0xf8000, 0x1000, 1}}), Error::kOverlap},
        {"the same RAM twice", table({{0, 128 * kMiB, 1}, {0, 128 * kMiB, 1}}), Error::kOverlap},
        {"bad entry after good ones", table({{0, 0x1000, 1}, {0x2000, 0x1000, 1}, {~0ull, 2, 2}}), Error::kOverflow},
    };
    for (const Bad& c : cases) {
        CAPTURE(c.what);
        CHECK(e820::parse_table(c.bytes, m).error() == c.expected);
        REQUIRE(m.size() == 1);
        CHECK(m.regions()[0].range.base == PhysAddr(0x1000));
    }
}
