#include <doctest/doctest.h>

#include <vector>

#include "warden/igvm/memory_map.hpp"

using namespace warden;
using namespace warden::igvm;

namespace {
using Bytes = std::vector<uint8_t>;
struct E {
    uint64_t first, pages;
    uint16_t type, flags;
};
Bytes area(std::initializer_list<E> entries, size_t total = 4096) {
    Bytes b(total, 0);
    size_t at = 0;
    for (const E& e : entries) {
        for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(e.first >> (8 * i));
        for (int i = 0; i < 8; ++i) b[at + 8 + i] = static_cast<uint8_t>(e.pages >> (8 * i));
        b[at + 16] = static_cast<uint8_t>(e.type);
        b[at + 18] = static_cast<uint8_t>(e.flags);
        at += kMemoryMapEntrySize;
    }
    return b;
}
}  // namespace

TEST_CASE("igvm memory map: entry layout and types follow igvm_defs") {
    CHECK(kMemoryMapEntrySize == 24);
    CHECK(kMemoryNormal == 0);
    CHECK(kMemoryPlatformReserved == 1);
    CHECK(kMemoryPersistent == 2);
    CHECK(kMemoryFlagShared == 1);
}

TEST_CASE("igvm memory map: normal memory is RAM, the terminator ends the list") {
    MemoryMap m;
    REQUIRE(
        parse_memory_map(
            area({{0, 0xa0, 0, 0}, {0x100, 0x7f00, 0, 0}, {0xfee00, 1, 1, 0}, {0, 0, 0, 0}, {0x100000, 0x100, 0, 0}}),
            m)
            .ok());
    CHECK(m.size() == 3);  // the entry after the terminator is ignored
    CHECK(m.ram_bytes() == (0xa0 + 0x7f00) * kPageSize);
    CHECK_FALSE(m.is_ram(PhysRange{PhysAddr(0xfee00000), kPageSize}));
}

TEST_CASE("igvm memory map: shared memory is not RAM until converted; persistent stays persistent") {
    MemoryMap m;
    REQUIRE(parse_memory_map(area({{0x100, 0x100, 0, 0}, {0x200, 0x100, 0, kMemoryFlagShared}, {0x400, 0x10, 2, 0}}), m)
                .ok());
    CHECK(m.ram_bytes() == 0x100 * kPageSize);
    CHECK(m.regions()[2].type == RegionType::kPersistent);
}

TEST_CASE("igvm memory map: malformed maps are refused and leave the map alone") {
    MemoryMap m;
    REQUIRE(m.add(PhysAddr(0x1000), 0x1000, RegionType::kRam).ok());
    CHECK(parse_memory_map(area({{0x100, 0x100, 0, 0}, {0x180, 0x100, 0, 0}}), m).error() == Error::kOverlap);
    CHECK(parse_memory_map(area({{1ull << 60, 1, 0, 0}}), m).error() == Error::kOverflow);
    CHECK(parse_memory_map(area({{0x100, 1ull << 60, 0, 0}}), m).error() == Error::kOverflow);
    CHECK(parse_memory_map(area({{0x100, 0x10, 1, 0}}), m).error() == Error::kNotFound);
    CHECK(parse_memory_map(area({}), m).error() == Error::kNotFound);
    CHECK(parse_memory_map(Bytes(23, 0xff), m).error() == Error::kNotFound);  // no whole entry
    CHECK(m.size() == 1);
}
