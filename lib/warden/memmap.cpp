// Validation and queries of the boot memory map.
#include "warden/memmap.hpp"

#include "warden/bytes.hpp"
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

Result<void> parse_region_entries(std::span<const uint8_t> bytes, size_t stride, size_t count, MemoryMap& map) {
    if (stride < 20 || count > bytes.size() / stride) return Fail(Error::kTruncated);
    MemoryMap parsed;  // built aside, so a bad entry leaves the caller's map as it was
    for (size_t i = 0; i < count; ++i) {
        const size_t at = i * stride;
        const uint32_t raw_type = load_le<uint32_t>(bytes, at + 16);
        const auto type = raw_type >= 1 && raw_type <= 7 ? static_cast<RegionType>(raw_type) : RegionType::kReserved;
        WARDEN_TRY_VOID(parsed.add(PhysAddr(load_le<uint64_t>(bytes, at)), load_le<uint64_t>(bytes, at + 8), type));
    }
    map = parsed;
    return {};
}

}  // namespace warden
