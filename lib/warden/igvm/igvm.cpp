// IGVM file reading and writing, and the SNP PAGE_INFO layout.
#include "warden/igvm/igvm.hpp"

#include "warden/addr.hpp"
#include "warden/bytes.hpp"
#include "warden/checked.hpp"

namespace warden::igvm {
namespace {

void store32(std::span<uint8_t> b, size_t at, uint32_t v) {
    for (size_t i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

uint32_t crc32(std::span<const uint8_t> bytes, uint32_t seed) {
    uint32_t crc = ~seed;
    for (uint8_t b : bytes) {
        crc ^= b;
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

Result<void> parse(std::span<const uint8_t> b, File& out) {
    if (b.size() < kFixedHeaderSize) return Fail(Error::kTruncated);
    if (load_le<uint32_t>(b, 0) != kMagic) return Fail(Error::kBadMagic);
    const uint32_t version = load_le<uint32_t>(b, 4);
    if (version != 1 && version != 2) return Fail(Error::kBadVersion);
    const uint32_t var_offset = load_le<uint32_t>(b, 8);
    const uint32_t var_size = load_le<uint32_t>(b, 12);
    const uint32_t total = load_le<uint32_t>(b, 16);
    const uint32_t checksum = load_le<uint32_t>(b, 20);
    const size_t fixed = version == 1 ? kFixedHeaderSize : 32;
    if (b.size() < fixed) return Fail(Error::kTruncated);
    if (total > b.size()) return Fail(Error::kTruncated);
    auto var_end = checked_end(var_offset, var_size);
    if (var_offset < fixed || !var_end || *var_end > total) return Fail(Error::kOutOfRange);
    // Checksum: the fixed header with its checksum field as zero, then the variable headers.
    uint32_t crc = crc32(b.first(20));
    const uint8_t zero[4] = {};
    crc = crc32(zero, crc);
    if (fixed > kFixedHeaderSize) crc = crc32(b.subspan(kFixedHeaderSize, fixed - kFixedHeaderSize), crc);
    crc = crc32(b.subspan(var_offset, var_size), crc);
    if (crc != checksum) return Fail(Error::kInvalidArgument);

    size_t count = 0;
    for (size_t at = var_offset; at < *var_end;) {
        if (*var_end - at < 8) return Fail(Error::kTruncated);
        if (!is_aligned(at - var_offset, 8)) return Fail(Error::kMisaligned);
        const uint32_t type = load_le<uint32_t>(b, at);
        const uint32_t length = load_le<uint32_t>(b, at + 4);
        if (length > *var_end - at - 8) return Fail(Error::kInvalidArgument);
        if (count == File::kMaxHeaders) return Fail(Error::kOutOfRange);
        ++count;
        at += 8 + align_up(length, 8);
        (void)type;
    }
    // Everything checked: now fill the caller's list.
    out.count = 0;
    for (size_t at = var_offset; at < *var_end;) {
        const uint32_t length = load_le<uint32_t>(b, at + 4);
        out.headers[out.count++] = Header{static_cast<HeaderType>(load_le<uint32_t>(b, at)), b.subspan(at + 8, length)};
        at += 8 + align_up(length, 8);
    }
    out.total_size = total;
    return {};
}

Writer::Writer(std::span<uint8_t> buffer, size_t max_header_bytes)
    : buf_(buffer),
      header_end_(kFixedHeaderSize),
      header_limit_(kFixedHeaderSize + align_up(max_header_bytes, 8)),
      data_end_(align_up(kFixedHeaderSize + align_up(max_header_bytes, 8), kPageSize)) {}

Result<void> Writer::add(HeaderType type, std::span<const uint8_t> body) {
    const size_t need = 8 + align_up(body.size(), 8);
    if (header_end_ + need > header_limit_ || header_limit_ > buf_.size()) return Fail(Error::kNoMemory);
    store32(buf_, header_end_, static_cast<uint32_t>(type));
    store32(buf_, header_end_ + 4, static_cast<uint32_t>(body.size()));
    for (size_t i = 0; i < body.size(); ++i) buf_[header_end_ + 8 + i] = body[i];
    for (size_t i = body.size(); i < align_up(body.size(), 8); ++i) buf_[header_end_ + 8 + i] = 0;
    header_end_ += need;
    return {};
}

Result<uint32_t> Writer::add_data(std::span<const uint8_t> data) {
    if (data_end_ + data.size() > buf_.size() || data_end_ + data.size() > 0xffffffffu) return Fail(Error::kNoMemory);
    const auto offset = static_cast<uint32_t>(data_end_);
    for (size_t i = 0; i < data.size(); ++i) buf_[data_end_ + i] = data[i];
    data_end_ += data.size();
    return offset;
}

Result<std::span<const uint8_t>> Writer::finish() {
    if (data_end_ > buf_.size()) return Fail(Error::kNoMemory);
    // The gap between the headers and the data is zero (a reader skips it).
    for (size_t i = header_end_; i < header_limit_ && i < data_end_; ++i) buf_[i] = 0;
    const size_t total = data_end_ > header_limit_ ? data_end_ : header_limit_;
    store32(buf_, 0, kMagic);
    store32(buf_, 4, kFormatVersion);
    store32(buf_, 8, static_cast<uint32_t>(kFixedHeaderSize));
    store32(buf_, 12, static_cast<uint32_t>(header_end_ - kFixedHeaderSize));
    store32(buf_, 16, static_cast<uint32_t>(total));
    store32(buf_, 20, 0);
    uint32_t crc = crc32(std::span<const uint8_t>(buf_.data(), 24));
    crc = crc32(std::span<const uint8_t>(buf_.data() + kFixedHeaderSize, header_end_ - kFixedHeaderSize), crc);
    store32(buf_, 20, crc);
    return std::span<const uint8_t>(buf_.data(), total);
}

std::array<uint8_t, kPageInfoSize> page_info(std::span<const uint8_t, 48> digest_cur,
                                             std::span<const uint8_t, 48> contents, SnpPageType type, uint64_t gpa) {
    std::array<uint8_t, kPageInfoSize> p{};
    for (size_t i = 0; i < 48; ++i) p[i] = digest_cur[i];
    for (size_t i = 0; i < 48; ++i) p[48 + i] = contents[i];
    p[96] = static_cast<uint8_t>(kPageInfoSize);  // length, u16 LE
    p[97] = 0;
    p[98] = static_cast<uint8_t>(type);
    p[99] = 0;  // imi_page
    // 100..103: reserved and the VMPL1..3 permissions, in an order the sources
    // disagree on (virtee: VMPL3, 2, 1, reserved; COCONUT: reserved, VMPL1, 2, 3;
    // SPEC-FACTS 8): all zero for launch pages, so the digest is the same.
    for (size_t i = 0; i < 8; ++i) p[104 + i] = static_cast<uint8_t>(gpa >> (8 * i));
    return p;
}

}  // namespace warden::igvm
