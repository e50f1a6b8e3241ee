// Parsing of QEMU's etc/e820 fw_cfg file into the boot memory map.
#include "warden/e820.hpp"

#include "warden/bytes.hpp"

namespace warden::e820 {

Result<void> parse_table(std::span<const uint8_t> bytes, MemoryMap& map) {
    if (bytes.size() % kEntrySize != 0) return Fail(Error::kTruncated);
    const size_t entries = bytes.size() / kEntrySize;
    if (entries == 0) return Fail(Error::kNotFound);
    if (entries > MemoryMap::kMaxRegions) return Fail(Error::kOutOfRange);
    MemoryMap parsed;  // built aside, so a bad entry leaves the caller's map as it was
    for (size_t at = 0; at < bytes.size(); at += kEntrySize) {
        const uint32_t raw_type = load_le<uint32_t>(bytes, at + 16);
        // Same rule as the PVH memmap: a type the spec does not define is never RAM.
        const auto type = raw_type >= 1 && raw_type <= 7 ? static_cast<RegionType>(raw_type) : RegionType::kReserved;
        WARDEN_TRY_VOID(parsed.add(PhysAddr(load_le<uint64_t>(bytes, at)), load_le<uint64_t>(bytes, at + 8), type));
    }
    map = parsed;
    return {};
}

}  // namespace warden::e820
