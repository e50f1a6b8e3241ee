// Validation and queries of the boot memory map.
#include "warden/memmap.hpp"

#include "warden/checked.hpp"

namespace warden {

Result<void> MemoryMap::add(PhysAddr base, uint64_t size, RegionType type) {
    if (size == 0) return {};
    if (!checked_end(base.raw(), size)) return Fail(Error::kOverflow);
    const MemoryRegion region{PhysRange{base, size}, type};
    size_t pos = 0;
    for (; pos < count_; ++pos) {
        const MemoryRegion& other = regions_[pos];
        const bool either_ram = type == RegionType::kRam || other.type == RegionType::kRam;
        if (either_ram && other.range.overlaps(region.range)) return Fail(Error::kOverlap);
    }
    if (count_ == kMaxRegions) return Fail(Error::kNoMemory);
    for (pos = count_; pos > 0 && regions_[pos - 1].range.base > base; --pos) regions_[pos] = regions_[pos - 1];
    regions_[pos] = region;
    ++count_;
    return {};
}

uint64_t MemoryMap::ram_bytes(PhysAddr from) const { return ram_bytes_in(PhysRange{from, ~uint64_t{0} - from.raw()}); }

uint64_t MemoryMap::ram_bytes_in(PhysRange r) const {
    uint64_t total = 0;
    for (const MemoryRegion& m : regions()) {
        if (m.type != RegionType::kRam || !m.range.overlaps(r)) continue;
        const PhysAddr lo = m.range.base > r.base ? m.range.base : r.base;
        const PhysAddr hi = m.range.end() < r.end() ? m.range.end() : r.end();
        total += hi - lo;
    }
    return total;
}

bool MemoryMap::is_ram(PhysRange r) const { return r.size != 0 && ram_bytes_in(r) == r.size; }

}  // namespace warden
