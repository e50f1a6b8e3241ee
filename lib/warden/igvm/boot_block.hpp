// The boot block: one measured page the IGVM packer writes and the kernel's
// IGVM entry receives in RBX. It says where the packer put everything the
// kernel needs before it can read anything else: the SVSM's own memory, the
// pages of boot data (this block, the secrets and CPUID pages, the BSP's
// VMSA, the parameter pages the loader fills, the entry page tables), the
// parameter pages themselves, and the guest firmware's flash if the file
// carries one. Little endian:
//
//   0x00 u64 magic "WARDENBB"     0x08 u32 version (2)   0x0c u32 reserved
//   0x10 u64 svsm_base            0x18 u64 svsm_size
//   0x20 u64 boot_data_base       0x28 u64 boot_data_size
//   0x30 u64 memory_map_gpa       0x38 u64 memory_map_size
//   0x40 u64 vp_count_gpa         0x48 u64 secrets_gpa
//   0x50 u64 cpuid_gpa            0x58 u8 c_bit   0x59..0x5f reserved
//   0x60 u64 firmware_base        0x68 u64 firmware_size (both 0: no firmware)
//
// Measured does not mean checked: parse() refuses a block whose pieces are
// misaligned or outside the SVSM memory, SVSM memory the entry page tables
// cannot map (they map it, and only it, with 2 MiB pages through one page
// directory: 2 MiB aligned, inside one 1 GiB-aligned GiB, below the C-bit
// and below 128 TiB),
// and a firmware range that does not end at 4 GiB or touches the SVSM memory.
// The kernel image is at the bottom of the SVSM memory. Version 1 (0x60 bytes, no firmware) is refused:
// the packer and the kernel come from one build.
#pragma once

#include <span>

#include "warden/addr.hpp"
#include "warden/result.hpp"

namespace warden::igvm {

inline constexpr uint64_t kBootBlockMagic = 0x4242'4e45'4452'4157;  // "WARDENBB"
inline constexpr uint32_t kBootBlockVersion = 2;
inline constexpr size_t kBootBlockSize = 0x70;
inline constexpr uint64_t kEntryMapPage = uint64_t{2} << 20;   // the entry page tables' page size
inline constexpr uint64_t kEntryMapBlock = uint64_t{1} << 30;  // what one of their page directories maps
inline constexpr uint64_t kEntryMapLimit = uint64_t{1} << 47;  // identity in the lower canonical half
inline constexpr uint64_t kFirmwareEnd = uint64_t{4} << 30;    // an x86 flash image ends at 4 GiB
inline constexpr uint64_t kMaxFirmware = uint64_t{16} << 20;   // as lib/warden/ovmf.hpp's kMaxImage

struct BootBlock {
    PhysRange svsm;       // memory the SVSM owns (validated at boot); the image at its base
    PhysRange boot_data;  // inside svsm, in use at entry: not for the frame allocator
    PhysAddr memory_map;  // MEMORY_MAP parameter page (inside boot_data)
    uint64_t memory_map_size = 0;
    PhysAddr vp_count;   // VP_COUNT parameter (u32, inside boot_data)
    PhysAddr secrets;    // SNP secrets page (inside boot_data)
    PhysAddr cpuid;      // SNP CPUID page (inside boot_data)
    uint8_t c_bit = 0;   // the C-bit the packer set in the entry page tables
    PhysRange firmware;  // the guest firmware's flash, measured with the rest; empty if none
};

// kTruncated, kBadMagic, kBadVersion, kMisaligned (a piece not 4 KiB
// aligned, the SVSM memory not 2 MiB aligned), kOverflow (a range wraps),
// kOutOfRange (a piece outside where it must lie, SVSM memory across a
// 1 GiB boundary or not below the C-bit and 128 TiB, a size of 0 or above a page for
// the memory map, a firmware above 16 MiB or not ending at 4 GiB), kInvalidArgument (a firmware base
// without a size), kOverlap (the firmware and the SVSM memory).
Result<BootBlock> parse_boot_block(std::span<const uint8_t> bytes);
// The packer's side: the same layout, written once.
void write_boot_block(const BootBlock& b, std::span<uint8_t, kBootBlockSize> out);

}  // namespace warden::igvm
