// PVH start_info parsing: offsets from Xen's struct hvm_start_info.
#include "warden/pvh.hpp"

#include "warden/bytes.hpp"

namespace warden::pvh {

Result<StartInfo> parse_start_info(std::span<const uint8_t> bytes) {
    if (bytes.size() < kStartInfoSize) return Fail(Error::kTruncated);
    if (load_le<uint32_t>(bytes, 0) != kStartInfoMagic) return Fail(Error::kBadMagic);
    StartInfo info;
    info.version = load_le<uint32_t>(bytes, 4);
    if (info.version < 1) return Fail(Error::kBadVersion);
    info.flags = load_le<uint32_t>(bytes, 8);
    info.cmdline_paddr = load_le<uint64_t>(bytes, 24);
    info.rsdp_paddr = load_le<uint64_t>(bytes, 32);
    info.memmap_paddr = load_le<uint64_t>(bytes, 40);
    info.memmap_entries = load_le<uint32_t>(bytes, 48);
    if (info.memmap_entries == 0 || info.memmap_paddr == 0) return Fail(Error::kNotFound);
    if (info.memmap_entries > MemoryMap::kMaxRegions) return Fail(Error::kOutOfRange);
    return info;
}

Result<void> parse_memmap(std::span<const uint8_t> bytes, uint32_t entries, MemoryMap& map) {
    if (entries > MemoryMap::kMaxRegions) return Fail(Error::kOutOfRange);
    if (bytes.size() < size_t{entries} * kMemmapEntrySize) return Fail(Error::kTruncated);
    MemoryMap parsed;  // built aside, so a bad entry leaves the caller's map as it was
    for (size_t i = 0; i < entries; ++i) {
        const size_t at = i * kMemmapEntrySize;
        const uint32_t raw_type = load_le<uint32_t>(bytes, at + 16);
        // Types the spec does not define are treated as reserved: never as RAM.
        const auto type = raw_type >= 1 && raw_type <= 7 ? static_cast<RegionType>(raw_type) : RegionType::kReserved;
        WARDEN_TRY_VOID(parsed.add(PhysAddr(load_le<uint64_t>(bytes, at)), load_le<uint64_t>(bytes, at + 8), type));
    }
    map = parsed;
    return {};
}

}  // namespace warden::pvh
