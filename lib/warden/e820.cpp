// Parsing of QEMU's etc/e820 fw_cfg file into the boot memory map.
#include "warden/e820.hpp"

namespace warden::e820 {

Result<void> parse_table(std::span<const uint8_t> bytes, MemoryMap& map) {
    if (bytes.size() % kEntrySize != 0) return Fail(Error::kTruncated);
    const size_t entries = bytes.size() / kEntrySize;
    if (entries == 0) return Fail(Error::kNotFound);
    if (entries > MemoryMap::kMaxRegions) return Fail(Error::kOutOfRange);
    return parse_region_entries(bytes, kEntrySize, entries, map);
}

}  // namespace warden::e820
