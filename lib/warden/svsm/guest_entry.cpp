// The guest image's entry contract (guest_entry.hpp): its header and boot page.
#include "warden/svsm/guest_entry.hpp"

#include <cstring>

#include "warden/bytes.hpp"

namespace warden::svsm::entry {

namespace {

template <typename T>
void store_le(std::span<uint8_t> b, size_t offset, T v) {
    for (size_t i = 0; i < sizeof(T); ++i) b[offset + i] = static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i));
}

bool zeros(std::span<const uint8_t> b) {
    for (uint8_t x : b) {
        if (x != 0) return false;
    }
    return true;
}

}  // namespace

Result<ImageHeader> parse_image_header(std::span<const uint8_t> file) {
    if (file.size() < kImageHeaderSize) return Fail(Error::kTruncated);
    if (load_le<uint32_t>(file, kImageMagicAt) != kImageMagic) return Fail(Error::kBadMagic);
    if (load_le<uint32_t>(file, kImageVersionAt) != kImageVersion) return Fail(Error::kBadVersion);
    if (!zeros(file.subspan(kImageReservedAt, kImageHeaderSize - kImageReservedAt)))
        return Fail(Error::kInvalidArgument);
    ImageHeader h{.load_gpa = load_le<uint64_t>(file, kImageLoadAt),
                  .file_size = load_le<uint64_t>(file, kImageFileSizeAt),
                  .memory_size = load_le<uint64_t>(file, kImageMemorySizeAt),
                  .entry = load_le<uint64_t>(file, kImageEntryAt),
                  .scratch_size = load_le<uint64_t>(file, kImageScratchAt),
                  .max_vcpus = load_le<uint32_t>(file, kImageMaxVcpusAt)};
    if (h.memory_size == 0 || h.memory_size > kMaxImageMemory) return Fail(Error::kInvalidArgument);
    if (h.file_size < kImageHeaderSize || h.file_size > h.memory_size) return Fail(Error::kInvalidArgument);
    if (h.max_vcpus == 0 || h.max_vcpus > kMaxVcpus) return Fail(Error::kInvalidArgument);
    if (h.load_gpa % kPage != 0 || h.memory_size % kPage != 0 || h.scratch_size % kLargePage != 0)
        return Fail(Error::kMisaligned);
    if (h.load_gpa >= kMaxImageEnd || h.memory_size > kMaxImageEnd - h.load_gpa) return Fail(Error::kOutOfRange);
    if (h.entry < h.load_gpa || h.entry - h.load_gpa >= h.file_size || h.entry - h.load_gpa < kImageHeaderSize)
        return Fail(Error::kOutOfRange);
    if (file.size() < h.file_size) return Fail(Error::kTruncated);
    return h;
}

void write_image_header(const ImageHeader& h, std::span<uint8_t, kImageHeaderSize> out) {
    std::memset(out.data(), 0, out.size());
    store_le(out, kImageMagicAt, kImageMagic);
    store_le(out, kImageVersionAt, kImageVersion);
    store_le(out, kImageLoadAt, h.load_gpa);
    store_le(out, kImageFileSizeAt, h.file_size);
    store_le(out, kImageMemorySizeAt, h.memory_size);
    store_le(out, kImageEntryAt, h.entry);
    store_le(out, kImageScratchAt, h.scratch_size);
    store_le(out, kImageMaxVcpusAt, h.max_vcpus);
}

void write_boot_page(const BootPage& b, std::span<uint8_t, kPage> out) {
    std::memset(out.data(), 0, out.size());
    store_le(out, 0x00, kBootMagic);
    store_le(out, 0x04, kBootVersion);
    store_le(out, 0x08, b.vcpu_index);
    store_le(out, 0x0c, b.apic_id);
    store_le(out, 0x10, b.vcpu_count);
    store_le(out, 0x18, b.secrets_gpa);
    store_le(out, 0x20, b.cpuid_gpa);
    store_le(out, 0x28, b.caa_gpa);
    store_le(out, 0x30, b.ram_end);
    store_le(out, 0x38, b.scratch_gpa);
    store_le(out, 0x40, b.scratch_size);
}

Result<BootPage> read_boot_page(std::span<const uint8_t, kPage> page) {
    if (load_le<uint32_t>(page, 0x00) != kBootMagic) return Fail(Error::kBadMagic);
    if (load_le<uint32_t>(page, 0x04) != kBootVersion) return Fail(Error::kBadVersion);
    if (load_le<uint32_t>(page, 0x14) != 0 || !zeros(page.subspan(kBootPageUsed))) return Fail(Error::kInvalidArgument);
    BootPage b{.vcpu_index = load_le<uint32_t>(page, 0x08),
               .apic_id = load_le<uint32_t>(page, 0x0c),
               .vcpu_count = load_le<uint32_t>(page, 0x10),
               .secrets_gpa = load_le<uint64_t>(page, 0x18),
               .cpuid_gpa = load_le<uint64_t>(page, 0x20),
               .caa_gpa = load_le<uint64_t>(page, 0x28),
               .ram_end = load_le<uint64_t>(page, 0x30),
               .scratch_gpa = load_le<uint64_t>(page, 0x38),
               .scratch_size = load_le<uint64_t>(page, 0x40)};
    if (b.vcpu_index >= b.vcpu_count) return Fail(Error::kInvalidArgument);
    if (b.secrets_gpa % kPage != 0 || b.cpuid_gpa % kPage != 0 || b.caa_gpa % kPage != 0 ||
        b.scratch_gpa % kLargePage != 0)
        return Fail(Error::kMisaligned);
    if (b.secrets_gpa >= b.ram_end || b.cpuid_gpa >= b.ram_end || b.caa_gpa >= b.ram_end ||
        b.scratch_gpa >= b.ram_end || b.scratch_size > b.ram_end - b.scratch_gpa)
        return Fail(Error::kOutOfRange);
    return b;
}

}  // namespace warden::svsm::entry
