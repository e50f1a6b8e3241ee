// OVMF footer table and SEV metadata parsing.
#include "warden/ovmf.hpp"

#include "warden/bytes.hpp"

namespace warden::ovmf {
namespace {

constexpr size_t kFooterFromEnd = 32;   // the table's GUID ends 32 bytes before the image end
constexpr size_t kEntryHeader = 18;     // u16 length + GUID, after the entry's data
constexpr size_t kMetadataHeader = 16;  // "ASEV", u32 length, u32 version, u32 count
constexpr size_t kSectionSize = 12;

bool guid_at(std::span<const uint8_t> b, size_t at, const Guid& g) {
    for (size_t i = 0; i < g.size(); ++i) {
        if (b[at + i] != g[i]) return false;
    }
    return true;
}

bool known(uint32_t type) {
    switch (static_cast<SectionType>(type)) {
    case SectionType::kSnpSecMem:
    case SectionType::kSnpSecrets:
    case SectionType::kCpuid:
    case SectionType::kSvsmCaa:
    case SectionType::kKernelHashes: return true;
    }
    return false;
}

Result<void> parse_metadata(std::span<const uint8_t> image, uint32_t offset_from_end, Firmware& fw) {
    const size_t n = image.size();
    if (offset_from_end < kMetadataHeader || offset_from_end > n) return Fail(Error::kOutOfRange);
    const size_t at = n - offset_from_end;
    if (image[at] != 'A' || image[at + 1] != 'S' || image[at + 2] != 'E' || image[at + 3] != 'V')
        return Fail(Error::kBadMagic);
    const uint32_t length = load_le<uint32_t>(image, at + 4), version = load_le<uint32_t>(image, at + 8);
    const uint32_t count = load_le<uint32_t>(image, at + 12);
    if (version != 1) return Fail(Error::kBadVersion);
    if (count > kMaxSections) return Fail(Error::kOutOfRange);
    if (length != kMetadataHeader + count * kSectionSize || length > offset_from_end) return Fail(Error::kTruncated);
    bool seen[5] = {};
    for (uint32_t i = 0; i < count; ++i) {
        const size_t s = at + kMetadataHeader + i * kSectionSize;
        const uint64_t base = load_le<uint32_t>(image, s), size = load_le<uint32_t>(image, s + 4);
        const uint32_t type = load_le<uint32_t>(image, s + 8);
        if (!known(type)) return Fail(Error::kUnsupported);
        if (size == 0 || base % kPageSize || size % kPageSize || base + size > fw.flash.base.raw())
            return Fail(Error::kOutOfRange);
        const Section sec{PhysRange{PhysAddr(base), size}, static_cast<SectionType>(type)};
        if (type >= 2 && type <= 4) {
            if (size != kPageSize || seen[type]) return Fail(Error::kInvalidArgument);
            seen[type] = true;
        }
        for (const Section& other : fw.section_list()) {
            if (other.range.overlaps(sec.range)) return Fail(Error::kOverlap);
        }
        fw.sections[fw.section_count++] = sec;
    }
    fw.has_sev_metadata = true;
    return {};
}

}  // namespace

const char* section_name(SectionType t) {
    switch (t) {
    case SectionType::kSnpSecMem: return "pre-validated";
    case SectionType::kSnpSecrets: return "secrets";
    case SectionType::kCpuid: return "cpuid";
    case SectionType::kSvsmCaa: return "svsm-caa";
    case SectionType::kKernelHashes: return "kernel-hashes";
    }
    return "unknown";
}

Result<Firmware> parse(std::span<const uint8_t> image) { return parse_tail(image, image.size()); }

// Offsets below are from the end of `image`, the tail: the same as from the
// end of the whole image.
Result<Firmware> parse_tail(std::span<const uint8_t> image, uint64_t image_size) {
    const size_t n = image.size();
    if (image_size == 0 || image_size > kMaxImage) return Fail(Error::kOutOfRange);
    if (image_size % kPageSize) return Fail(Error::kMisaligned);
    if (n == 0 || n % kPageSize || n > image_size) return Fail(Error::kInvalidArgument);
    Firmware fw;
    fw.flash = PhysRange{PhysAddr(kFourGiB - image_size), image_size};
    // The table: [entries ... | u16 length | GUID] ending 32 bytes before the end.
    const size_t guid_at_end = n - kFooterFromEnd - 16;
    if (!guid_at(image, guid_at_end, kFooterTableGuid)) return Fail(Error::kBadMagic);
    const size_t table_len = load_le<uint16_t>(image, guid_at_end - 2);
    if (table_len < kEntryHeader || table_len > n - kFooterFromEnd) return Fail(Error::kTruncated);
    const size_t table_start = n - kFooterFromEnd - table_len;
    // Entries from the back: each is {data, u16 length, GUID}, length counting all three.
    size_t end = guid_at_end - 2;
    while (end > table_start) {
        if (end - table_start < kEntryHeader) return Fail(Error::kTruncated);
        const size_t len = load_le<uint16_t>(image, end - kEntryHeader);
        if (len < kEntryHeader || len > end - table_start) return Fail(Error::kTruncated);
        const size_t data = end - len, data_len = len - kEntryHeader;
        const size_t entry_guid = end - 16;
        if (guid_at(image, entry_guid, kSevMetadataGuid)) {
            if (data_len != 4 || fw.has_sev_metadata) return Fail(Error::kInvalidArgument);
            WARDEN_TRY_VOID(parse_metadata(image, load_le<uint32_t>(image, data), fw));
        } else if (guid_at(image, entry_guid, kSevEsResetBlockGuid)) {
            if (data_len < 4) return Fail(Error::kTruncated);
            fw.ap_reset_ip = load_le<uint32_t>(image, data);
        }  // anything else: skipped
        end = data;
    }
    return fw;
}

Result<void> check_placement(const Firmware& fw, std::span<const PhysRange> ram, PhysRange svsm) {
    for (const Section& s : fw.section_list()) {
        if (s.range.overlaps(svsm)) return Fail(Error::kOverlap);
        bool in_ram = false;
        for (const PhysRange& r : ram) in_ram = in_ram || r.contains(s.range);
        if (!in_ram) return Fail(Error::kOutOfRange);
    }
    return {};
}

}  // namespace warden::ovmf
