// libFuzzer target: the IGVM memory-map parameter (loader input).
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/igvm/memory_map.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static warden::MemoryMap map;
    if (!warden::igvm::parse_memory_map(std::span<const uint8_t>(data, size), map)) return 0;
    const auto r = map.regions();
    for (size_t i = 1; i < r.size(); ++i) {
        if (r[i - 1].range.base > r[i].range.base) __builtin_trap();
    }
    if (map.ram_bytes() == 0) __builtin_trap();
    return 0;
}
