// libFuzzer target: QEMU's fw_cfg etc/e820 file (host input), the whole input
// being the file.
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/e820.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace warden;
    MemoryMap map;
    if (!e820::parse_table(std::span<const uint8_t>(data, size), map)) {
        if (map.size() != 0) __builtin_trap();  // a failed parse leaves the map alone
        return 0;
    }
    // Accepted: whole entries, as many as the map holds, sorted, and RAM
    // overlapping nothing.
    const size_t entries = size / e820::kEntrySize;
    if (size % e820::kEntrySize != 0 || entries == 0 || entries > MemoryMap::kMaxRegions) __builtin_trap();
    const auto regions = map.regions();
    if (regions.size() > entries) __builtin_trap();
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
    return 0;
}
