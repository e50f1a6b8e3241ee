// The memory map an IGVM loader deposits in a MEMORY_MAP parameter area
// (igvm_defs IGVM_VHS_MEMORY_MAP_ENTRY): 24-byte entries {u64 first GPA page,
// u64 page count, u16 type, u16 flags, u32 reserved}, sorted, ended by an
// entry with a page count of 0 (or the end of the area). What the SNP entry
// will read instead of PVH's start_info; host input like any other.
#pragma once

#include <span>

#include "warden/memmap.hpp"

namespace warden::igvm {

inline constexpr size_t kMemoryMapEntrySize = 24;
inline constexpr uint16_t kMemoryNormal = 0, kMemoryPlatformReserved = 1, kMemoryPersistent = 2,
                          kMemoryVtl2Protectable = 3;
inline constexpr uint16_t kMemoryFlagShared = 1;  // must be made private before use

// Parses the area into out (only on success). Normal memory becomes RAM,
// unless marked shared (then reserved: Warden does not convert it at boot);
// persistent memory stays persistent; everything else is reserved. Errors:
// kOverflow (a range wraps), kOverlap, kNoMemory (more than MemoryMap holds),
// kNotFound (no RAM at all).
Result<void> parse_memory_map(std::span<const uint8_t> area, MemoryMap& out);

}  // namespace warden::igvm
