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
    return parse_region_entries(bytes, kMemmapEntrySize, entries, map);
}

}  // namespace warden::pvh
