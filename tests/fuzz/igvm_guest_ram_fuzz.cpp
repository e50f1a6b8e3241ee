// libFuzzer target: guest RAM from the IGVM memory-map parameter (loader
// input) minus SVSM memory. The first 16 bytes name the SVSM range, the rest
// is the parameter area. Every range given to the guest lies in the map's
// RAM, in whole pages, in order, and never touches SVSM memory.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "warden/igvm/guest_ram.hpp"
#include "warden/igvm/memory_map.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 16) return 0;
    uint64_t base = 0, len = 0;
    std::memcpy(&base, data, 8);
    std::memcpy(&len, data + 8, 8);
    static warden::MemoryMap map;
    if (!warden::igvm::parse_memory_map(std::span<const uint8_t>(data + 16, size - 16), map)) return 0;
    const warden::PhysRange svsm{warden::PhysAddr(base), len};
    warden::PhysRange out[8];
    auto n = warden::igvm::guest_ram(map, svsm, out);
    if (!n) return 0;
    if (*n == 0 || *n > 8) __builtin_trap();
    for (size_t i = 0; i < *n; ++i) {
        const warden::PhysRange& r = out[i];
        if (r.size == 0 || r.base.raw() % 4096 != 0 || r.size % 4096 != 0) __builtin_trap();
        if (r.overlaps(svsm)) __builtin_trap();
        if (!map.is_ram(r)) __builtin_trap();
        if (i > 0 && out[i - 1].end() > r.base) __builtin_trap();
    }
    return 0;
}
