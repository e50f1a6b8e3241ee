// libFuzzer target: QEMU's fw_cfg etc/e820 file (host input), the whole input
// being the file.
#include <cstddef>
#include <cstdint>
#include <span>

#include "memmap_invariants.hpp"
#include "warden/e820.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace warden;
    MemoryMap map;
    if (!e820::parse_table(std::span<const uint8_t>(data, size), map)) {
        if (map.size() != 0) __builtin_trap();  // a failed parse leaves the map alone
        return 0;
    }
    // Accepted: whole entries, as many as the map holds, and the map's invariants.
    const size_t entries = size / e820::kEntrySize;
    if (size % e820::kEntrySize != 0 || entries == 0 || entries > MemoryMap::kMaxRegions) __builtin_trap();
    const auto regions = map.regions();
    if (regions.size() > entries) __builtin_trap();
    check_memmap_invariants(map);
    return 0;
}
