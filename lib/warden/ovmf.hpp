// OVMF firmware images (EDK2 OvmfPkg/ResetVector; SPEC-FACTS.md 11): the
// footer GUID table at the image's end, the SEV metadata it points to (the
// ranges an SNP launch pre-validates, the secrets and CPUID pages, the SVSM
// Calling Area, the kernel hashes) and the reset vector. The image comes
// from the host (fw_cfg, or the IGVM file): every offset, length and range
// is checked before anything is used; unknown footer GUIDs are skipped.
#pragma once

#include <span>

#include "warden/addr.hpp"
#include "warden/guid.hpp"
#include "warden/result.hpp"

namespace warden::ovmf {

inline constexpr Guid kFooterTableGuid = guid("96b582de-1fb2-45f7-baea-a366c55a082d");
inline constexpr Guid kSevMetadataGuid = guid("dc886566-984a-4798-a75e-5585a7bf67cc");
inline constexpr Guid kSevEsResetBlockGuid = guid("00f771de-1a7e-4fcb-890e-68c77e2fb44e");

inline constexpr uint64_t kFourGiB = uint64_t{1} << 32;
inline constexpr uint64_t kResetVector = kFourGiB - 16;  // the first instruction: 16 bytes below 4 GiB
inline constexpr size_t kMaxImage = 16 << 20;
inline constexpr size_t kMaxSections = 16;

enum class SectionType : uint32_t {
    kSnpSecMem = 1,  // memory the launch pre-validates
    kSnpSecrets = 2,
    kCpuid = 3,
    kSvsmCaa = 4,
    kKernelHashes = 0x10,
};
const char* section_name(SectionType t);

struct Section {
    PhysRange range;
    SectionType type = SectionType::kSnpSecMem;
};

struct Firmware {
    PhysRange flash;  // where the image maps: its last byte at 4 GiB - 1
    uint64_t reset_vector = kResetVector;
    uint32_t ap_reset_ip = 0;  // SEV-ES AP reset block, 0 if the image has none
    bool has_sev_metadata = false;
    Section sections[kMaxSections] = {};
    size_t section_count = 0;
    std::span<const Section> section_list() const { return {sections, section_count}; }
};

// Errors: kMisaligned (size not a multiple of 4 KiB), kOutOfRange (size 0 or
// above 16 MiB; a range outside the image or below it; a section that wraps,
// is empty, not 4 KiB granular, or reaches the flash), kBadMagic (no footer
// table, or metadata without "ASEV"), kBadVersion, kTruncated (a table or
// entry that does not fit), kOverlap (two sections), kUnsupported (an unknown
// section type), kInvalidArgument (a secrets, CPUID or CAA section that is
// not one page, or given twice).
Result<Firmware> parse(std::span<const uint8_t> image);
// The same from the image's last pages only (everything parse reads is
// near the end): tail is the last tail.size() bytes of an image of
// image_size bytes. kInvalidArgument unless tail is whole pages, at most
// the image; a table or metadata reaching before the tail is kOutOfRange
// or kTruncated, as before an image's start.
Result<Firmware> parse_tail(std::span<const uint8_t> tail, uint64_t image_size);

// The guest side of the rules: every section lies in guest RAM (one of
// `ram`) and none touches SVSM memory. kOutOfRange / kOverlap.
Result<void> check_placement(const Firmware& fw, std::span<const PhysRange> ram, PhysRange svsm);

}  // namespace warden::ovmf
