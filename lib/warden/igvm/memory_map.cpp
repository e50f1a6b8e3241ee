// IGVM memory-map parameter parsing.
#include "warden/igvm/memory_map.hpp"

#include "warden/bytes.hpp"
#include "warden/checked.hpp"

namespace warden::igvm {

Result<void> parse_memory_map(std::span<const uint8_t> area, MemoryMap& out) {
    MemoryMap map;
    for (size_t at = 0; area.size() - at >= kMemoryMapEntrySize; at += kMemoryMapEntrySize) {
        const uint64_t first = load_le<uint64_t>(area, at);
        const uint64_t pages = load_le<uint64_t>(area, at + 8);
        const uint16_t type = load_le<uint16_t>(area, at + 16);
        const uint16_t flags = load_le<uint16_t>(area, at + 18);
        if (pages == 0) break;  // the terminator
        auto base = checked_mul<uint64_t>(first, kPageSize);
        auto size = checked_mul<uint64_t>(pages, kPageSize);
        if (!base || !size) return Fail(Error::kOverflow);
        RegionType region = RegionType::kReserved;
        if (type == kMemoryNormal && !(flags & kMemoryFlagShared))
            region = RegionType::kRam;
        else if (type == kMemoryPersistent)
            region = RegionType::kPersistent;
        WARDEN_TRY_VOID(map.add(PhysAddr(*base), *size, region));
    }
    if (map.ram_bytes() == 0) return Fail(Error::kNotFound);
    out = map;
    return {};
}

}  // namespace warden::igvm
