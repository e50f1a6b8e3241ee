#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "byte_builder.hpp"
#include "warden/pvh.hpp"

using namespace warden;

namespace {

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) { test_bytes::put_le(b, at, v, 4); }
void put64(std::vector<uint8_t>& b, size_t at, uint64_t v) { test_bytes::put_le(b, at, v, 8); }

std::vector<uint8_t> start_info(uint32_t magic = pvh::kStartInfoMagic, uint32_t version = 1, uint32_t entries = 3) {
    std::vector<uint8_t> b(pvh::kStartInfoSize, 0);
    put32(b, 0, magic);
    put32(b, 4, version);
    put32(b, 8, 0);
    put64(b, 24, 0x7000);   // cmdline
    put64(b, 32, 0xf5000);  // rsdp
    put64(b, 40, 0x6000);   // memmap
    put32(b, 48, entries);
    return b;
}

struct Entry {
    uint64_t addr, size;
    uint32_t type;
};
std::vector<uint8_t> memmap(std::initializer_list<Entry> entries) {
    std::vector<uint8_t> b(entries.size() * pvh::kMemmapEntrySize, 0);
    size_t at = 0;
    for (const Entry& e : entries) {
        put64(b, at, e.addr);
        put64(b, at + 8, e.size);
        put32(b, at + 16, e.type);
        at += pvh::kMemmapEntrySize;
    }
    return b;
}

}  // namespace

TEST_CASE("pvh: protocol constants match Xen's start_info.h") {
    CHECK(pvh::kStartInfoMagic == 0x336ec578);
    CHECK(pvh::kStartInfoSize == 56);
    CHECK(pvh::kMemmapEntrySize == 24);
    CHECK(pvh::kElfNotePhys32Entry == 18);
}

TEST_CASE("pvh: a QEMU-shaped start_info parses") {
    const auto b = start_info();
    const auto r = pvh::parse_start_info(b);
    REQUIRE(r.ok());
    CHECK(r->version == 1);
    CHECK(r->cmdline_paddr == 0x7000);
    CHECK(r->rsdp_paddr == 0xf5000);
    CHECK(r->memmap_paddr == 0x6000);
    CHECK(r->memmap_entries == 3);
}

TEST_CASE("pvh: malformed start_info is refused with the exact error") {
    struct Bad {
        const char* what;
        std::vector<uint8_t> bytes;
        Error expected;
    };
    auto no_memmap_addr = start_info();
    const auto good = start_info();
    put64(no_memmap_addr, 40, 0);
    const Bad cases[] = {
        {"empty", {}, Error::kTruncated},
        {"one byte short", std::vector<uint8_t>(good.begin(), good.end() - 1), Error::kTruncated},
        {"wrong magic", start_info(0x336ec579), Error::kBadMagic},
        {"version 0 has no memmap", start_info(pvh::kStartInfoMagic, 0), Error::kBadVersion},
        {"no entries", start_info(pvh::kStartInfoMagic, 1, 0), Error::kNotFound},
        {"memmap at address 0", no_memmap_addr, Error::kNotFound},
        {"more entries than the map holds", start_info(pvh::kStartInfoMagic, 1, 129), Error::kOutOfRange},
        {"absurd entry count", start_info(pvh::kStartInfoMagic, 1, 0xffffffff), Error::kOutOfRange},
    };
    for (const Bad& c : cases) {
        CAPTURE(c.what);
        CHECK(pvh::parse_start_info(c.bytes).error() == c.expected);
    }
}

TEST_CASE("pvh: a memmap like QEMU's for 128 MiB parses") {
    const auto b = memmap({{0, 0x9fc00, 1},
                           {0x9fc00, 0x400, 2},
                           {0xf0000, 0x10000, 2},
                           {0x100000, 0x7ee0000, 1},
                           {0xfffc0000, 0x40000, 2}});
    MemoryMap m;
    REQUIRE(pvh::parse_memmap(b, 5, m).ok());
    CHECK(m.size() == 5);
    CHECK(m.ram_bytes() == 0x9fc00 + 0x7ee0000);
}

TEST_CASE("pvh: unknown region types are never RAM") {
    const auto b = memmap({{0x100000, 0x100000, 99}, {0x200000, 0x1000, 0}});
    MemoryMap m;
    REQUIRE(pvh::parse_memmap(b, 2, m).ok());
    CHECK(m.ram_bytes() == 0);
    CHECK(m.regions()[0].type == RegionType::kReserved);
}

TEST_CASE("pvh: malformed memmaps fail and leave the caller's map untouched") {
    MemoryMap m;
    REQUIRE(m.add(PhysAddr(0x1000), 0x1000, RegionType::kRam).ok());
    struct Bad {
        const char* what;
        std::vector<uint8_t> bytes;
        uint32_t entries;
        Error expected;
    };
    const Bad cases[] = {
        {"fewer bytes than entries", memmap({{0, 0x1000, 1}}), 2, Error::kTruncated},
        {"too many entries", memmap({}), 200, Error::kOutOfRange},
        {"wrapping region", memmap({{0xfffffffffffff000, 0x2000, 1}}), 1, Error::kOverflow},
        {"overlapping RAM", memmap({{0x100000, 0x200000, 1}, {0x200000, 0x1000, 1}}), 2, Error::kOverlap},
        {"reserved inside RAM", memmap({{0x100000, 0x200000, 1}, {0x180000, 0x1000, 2}}), 2, Error::kOverlap},
    };
    for (const Bad& c : cases) {
        CAPTURE(c.what);
        CHECK(pvh::parse_memmap(c.bytes, c.entries, m).error() == c.expected);
        REQUIRE(m.size() == 1);
        CHECK(m.regions()[0].range.base == PhysAddr(0x1000));
    }
}
