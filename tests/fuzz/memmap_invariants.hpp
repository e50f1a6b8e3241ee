// What every memory map a parser accepted must keep: sorted by base, and
// RAM overlapping no other region. Shared by the PVH and e820 fuzz targets.
#pragma once

#include "warden/memmap.hpp"

inline void check_memmap_invariants(const warden::MemoryMap& map) {
    using warden::RegionType;
    const auto regions = map.regions();
    for (size_t i = 1; i < regions.size(); ++i) {
        if (regions[i - 1].range.base > regions[i].range.base) __builtin_trap();
    }
    for (size_t i = 0; i < regions.size(); ++i) {
        for (size_t j = i + 1; j < regions.size(); ++j) {
            const bool ram = regions[i].type == RegionType::kRam || regions[j].type == RegionType::kRam;
            if (ram && regions[i].range.overlaps(regions[j].range)) __builtin_trap();
        }
    }
    (void)map.ram_bytes();
}
