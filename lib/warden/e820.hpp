// QEMU's fw_cfg file "etc/e820": the memory map a VM gets when Warden is the
// firmware (-bios) and no PVH start_info exists. The caller reads the file
// into a private copy; this only parses the copy.
#pragma once

#include <span>
#include <string_view>

#include "warden/memmap.hpp"

namespace warden::e820 {

inline constexpr std::string_view kFileName = "etc/e820";
// QEMU hw/i386/e820_memory_layout.h: struct e820_entry { u64 address; u64
// length; u32 type; } QEMU_PACKED, 4-byte aligned: 20 bytes, little endian,
// no header. The file is the array itself (hw/i386/fw_cfg.c adds it with
// sizeof(struct e820_entry) * count); QEMU 7.2 here serves 40 bytes for
// -m 128M under TCG and 60 under KVM (tests/unit/data/README.md).
inline constexpr size_t kEntrySize = 20;

// Parses the whole file into map, which is written only when every entry
// checks out. Types outside 1..7 become reserved, never RAM (as pvh.cpp does);
// zero-length entries are dropped. Errors: kTruncated when the size is not a
// multiple of kEntrySize, kNotFound for an empty file, kOutOfRange above
// MemoryMap::kMaxRegions entries, and MemoryMap::add's kOverflow (a range
// wrapping past 2^64) and kOverlap (RAM overlapping any other entry).
Result<void> parse_table(std::span<const uint8_t> bytes, MemoryMap& map);

}  // namespace warden::e820
