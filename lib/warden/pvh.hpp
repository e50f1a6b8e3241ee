// The PVH boot protocol's start_info and memory map, parsed from bytes the
// hypervisor left in guest memory (Xen public/arch-x86/hvm/start_info.h).
// The caller copies the bytes first; these functions only read the copy.
#pragma once

#include <span>

#include "warden/memmap.hpp"

namespace warden::pvh {

inline constexpr uint32_t kStartInfoMagic = 0x336ec578;  // XEN_HVM_START_MAGIC_VALUE
inline constexpr size_t kStartInfoSize = 56;             // struct hvm_start_info, version 1
inline constexpr size_t kMemmapEntrySize = 24;           // struct hvm_memmap_table_entry
inline constexpr uint32_t kElfNotePhys32Entry = 18;      // XEN_ELFNOTE_PHYS32_ENTRY

struct StartInfo {
    uint32_t version = 0;
    uint32_t flags = 0;
    uint64_t cmdline_paddr = 0;
    uint64_t rsdp_paddr = 0;
    uint64_t memmap_paddr = 0;
    uint32_t memmap_entries = 0;
};

// Checks magic and version (1 or later: the memory map arrived in version 1)
// and that the memmap fits MemoryMap. Fewer than kStartInfoSize bytes: kTruncated.
Result<StartInfo> parse_start_info(std::span<const uint8_t> bytes);

// Parses `entries` memmap entries from bytes into map.
Result<void> parse_memmap(std::span<const uint8_t> bytes, uint32_t entries, MemoryMap& map);

}  // namespace warden::pvh
