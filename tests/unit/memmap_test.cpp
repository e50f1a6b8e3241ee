#include <doctest/doctest.h>

#include "warden/memmap.hpp"

using namespace warden;

TEST_CASE("memmap: region type numbers follow the E820/PVH tables") {
    CHECK(static_cast<uint32_t>(RegionType::kRam) == 1);
    CHECK(static_cast<uint32_t>(RegionType::kReserved) == 2);
    CHECK(static_cast<uint32_t>(RegionType::kAcpiReclaimable) == 3);
    CHECK(static_cast<uint32_t>(RegionType::kAcpiNvs) == 4);
    CHECK(static_cast<uint32_t>(RegionType::kUnusable) == 5);
}

TEST_CASE("memmap: regions are kept sorted and RAM is counted") {
    MemoryMap m;
    REQUIRE(m.add(PhysAddr(0x100000), 0x7f00000, RegionType::kRam).ok());
    REQUIRE(m.add(PhysAddr(0), 0x9fc00, RegionType::kRam).ok());
    REQUIRE(m.add(PhysAddr(0xfffc0000), 0x40000, RegionType::kReserved).ok());
    REQUIRE(m.size() == 3);
    CHECK(m.regions()[0].range.base == PhysAddr(0));
    CHECK(m.regions()[1].range.base == PhysAddr(0x100000));
    CHECK(m.ram_bytes() == 0x9fc00 + 0x7f00000);
    CHECK(m.ram_bytes(PhysAddr(0x100000)) == 0x7f00000);
    CHECK(m.ram_bytes(PhysAddr(0x200000)) == 0x7e00000);
    CHECK(m.is_ram(PhysRange{PhysAddr(0x100000), 0x1000}));
    CHECK_FALSE(m.is_ram(PhysRange{PhysAddr(0x9f000), 0x1000}));  // runs past the end of RAM
    CHECK_FALSE(m.is_ram(PhysRange{PhysAddr(0x100000), 0}));
}

TEST_CASE("memmap: zero-sized regions are dropped") {
    MemoryMap m;
    CHECK(m.add(PhysAddr(0x1000), 0, RegionType::kRam).ok());
    CHECK(m.size() == 0);
}

TEST_CASE("memmap: malformed regions are refused and leave the map unchanged") {
    MemoryMap m;
    REQUIRE(m.add(PhysAddr(0x100000), 0x100000, RegionType::kRam).ok());
    struct Bad {
        uint64_t base, size;
        RegionType type;
        Error expected;
    };
    const Bad cases[] = {
        {0xfffffffffffff000, 0x2000, RegionType::kRam, Error::kOverflow},
        {0x180000, 0x100000, RegionType::kRam, Error::kOverlap},
        {0x0, 0x100001, RegionType::kReserved, Error::kOverlap},  // reserved may not overlap RAM
        {0x1ff000, 0x1000, RegionType::kAcpiNvs, Error::kOverlap},
    };
    for (const Bad& b : cases) {
        CAPTURE(b.base);
        CHECK(m.add(PhysAddr(b.base), b.size, b.type).error() == b.expected);
        CHECK(m.size() == 1);
    }
}

TEST_CASE("memmap: non-RAM regions may overlap each other") {
    MemoryMap m;
    CHECK(m.add(PhysAddr(0xf0000), 0x10000, RegionType::kReserved).ok());
    CHECK(m.add(PhysAddr(0xf8000), 0x10000, RegionType::kAcpiNvs).ok());
    CHECK(m.ram_bytes() == 0);
}

TEST_CASE("memmap: a full map refuses one more region") {
    MemoryMap m;
    for (size_t i = 0; i < MemoryMap::kMaxRegions; ++i) {
        REQUIRE(m.add(PhysAddr(i * 0x2000), 0x1000, RegionType::kRam).ok());
    }
    CHECK(m.add(PhysAddr(0x10000000), 0x1000, RegionType::kRam).error() == Error::kNoMemory);
    CHECK(m.size() == MemoryMap::kMaxRegions);
}
