// The entry contract between Warden's loader and a bare-metal guest image it
// starts at the guest's VMPL in 64-bit mode (guest/harness/ is one): the
// image's header, which the loader reads, and the boot page, which the loader
// fills and the image reads. docs/harness-guest.md says what each side does.
#pragma once

#include <span>

#include "warden/result.hpp"

namespace warden::svsm::entry {

inline constexpr uint64_t kPage = 4096, kLargePage = 0x200000;

// The image header: the first 64 bytes of the flat image file, little endian.
//   0x00 u32 magic "WGST"   0x04 u32 version (1)
//   0x08 u64 load_gpa       the file is copied there byte for byte (4 KiB aligned)
//   0x10 u64 file_size      bytes of the file to copy (the file may carry padding after)
//   0x18 u64 memory_size    bytes from load_gpa the image owns: the file, then zeros
//   0x20 u64 entry          GPA of the 64-bit entry, inside the file's bytes
//   0x28 u64 scratch_size   unvalidated guest RAM it wants named in its boot page (2 MiB multiple)
//   0x30 u32 max_vcpus      vCPUs it has room for (boot pages with vcpu_index below it)
//   0x34 u32 reserved, 0x38 u64 reserved (zero)
inline constexpr uint32_t kImageMagic = 0x54534757;  // "WGST"
inline constexpr uint32_t kImageVersion = 1;
inline constexpr size_t kImageHeaderSize = 0x40;
inline constexpr size_t kImageMagicAt = 0x00, kImageVersionAt = 0x04, kImageLoadAt = 0x08, kImageFileSizeAt = 0x10,
                        kImageMemorySizeAt = 0x18, kImageEntryAt = 0x20, kImageScratchAt = 0x28,
                        kImageMaxVcpusAt = 0x30, kImageReservedAt = 0x34;
// The images this contract covers stay small and below 4 GiB (they run
// from guest RAM, which the emulated host has from 0).
inline constexpr uint64_t kMaxImageMemory = uint64_t{16} << 20;
inline constexpr uint64_t kMaxImageEnd = uint64_t{1} << 32;
inline constexpr uint32_t kMaxVcpus = 64;

struct ImageHeader {
    uint64_t load_gpa = 0, file_size = 0, memory_size = 0, entry = 0, scratch_size = 0;
    uint32_t max_vcpus = 0;
    uint64_t end() const { return load_gpa + memory_size; }
    friend bool operator==(const ImageHeader&, const ImageHeader&) = default;
};

// The header of `file`, checked as the loader must before it copies a byte:
// kTruncated (shorter than the header, or than file_size), kBadMagic,
// kBadVersion, kInvalidArgument (reserved bytes not zero, file_size below the
// header or above memory_size, no vCPU, more than kMaxVcpus, a memory size
// that is 0 or above kMaxImageMemory), kMisaligned (load_gpa or
// memory_size not 4 KiB aligned, scratch_size not a 2 MiB multiple),
// kOutOfRange (the image ends above kMaxImageEnd, or the entry is not
// inside the file's bytes at load_gpa).
Result<ImageHeader> parse_image_header(std::span<const uint8_t> file);
void write_image_header(const ImageHeader& h, std::span<uint8_t, kImageHeaderSize> out);

// The boot page: one 4 KiB page per vCPU, private, validated and zeroed by
// the loader before it writes it; its GPA is in RDI at the entry.
//   0x00 u32 magic "WGBP"   0x04 u32 version (1)
//   0x08 u32 vcpu_index     0x0C u32 apic_id       0x10 u32 vcpu_count   0x14 u32 reserved
//   0x18 u64 secrets_gpa    the guest's secrets page (SVSM fields at 0x140)
//   0x20 u64 cpuid_gpa      the guest's CPUID page, or 0
//   0x28 u64 caa_gpa        this vCPU's Calling Area (the BSP's = secrets svsm_caa)
//   0x30 u64 ram_end        the first GPA above all guest RAM
//   0x38 u64 scratch_gpa    unvalidated guest RAM for this image (2 MiB aligned)
//   0x40 u64 scratch_size   as the header asked
//   0x48 .. 0xFFF           zero
inline constexpr uint32_t kBootMagic = 0x50424757;  // "WGBP"
inline constexpr uint32_t kBootVersion = 1;
inline constexpr size_t kBootPageUsed = 0x48;

struct BootPage {
    uint32_t vcpu_index = 0, apic_id = 0, vcpu_count = 0;
    uint64_t secrets_gpa = 0, cpuid_gpa = 0, caa_gpa = 0, ram_end = 0, scratch_gpa = 0, scratch_size = 0;
    friend bool operator==(const BootPage&, const BootPage&) = default;
};

void write_boot_page(const BootPage& b, std::span<uint8_t, kPage> out);
// The boot page as the image reads it: kBadMagic, kBadVersion,
// kInvalidArgument (vcpu_index not below vcpu_count, a byte past the
// fields not zero), kMisaligned (secrets, CPUID or Calling Area page not
// 4 KiB aligned, scratch not 2 MiB aligned), kOutOfRange (a page named at
// or above ram_end, or the scratch range past it).
Result<BootPage> read_boot_page(std::span<const uint8_t, kPage> page);

}  // namespace warden::svsm::entry
