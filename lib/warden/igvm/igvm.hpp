// IGVM files (microsoft/igvm, igvm_defs; SPEC-FACTS.md 9): the fixed header,
// variable headers padded to 8 bytes, CRC32 over both. A writer for the packer
// (tools/igvm, next) and a checking reader for dumps and the kernel's IGVM
// entry. An IGVM file is untrusted input to the reader.
#pragma once

#include <array>
#include <span>

#include "warden/result.hpp"

namespace warden::igvm {

inline constexpr uint32_t kMagic = 0x4d564749;  // "IGVM"
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kFixedHeaderSize = 24;  // version 1

enum class HeaderType : uint32_t {
    kSupportedPlatform = 0x001,
    kGuestPolicy = 0x101,
    kParameterArea = 0x301,
    kPageData = 0x302,
    kParameterInsert = 0x303,
    kVpContext = 0x304,
    kRequiredMemory = 0x305,
    kVpCount = 0x307,
    kMemoryMap = 0x30c,
    kCommandLine = 0x30e,
};

inline constexpr uint8_t kPlatformSevSnp = 2;
inline constexpr uint32_t kPageData2M = 1u << 0, kPageDataUnmeasured = 1u << 1, kPageDataShared = 1u << 2;
inline constexpr uint16_t kDataNormal = 0, kDataSecrets = 1, kDataCpuid = 2, kDataCpuidXf = 3;

// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as the format uses.
uint32_t crc32(std::span<const uint8_t> bytes, uint32_t seed = 0);

struct Header {
    HeaderType type;
    std::span<const uint8_t> body;
};

// A checked file: headers listed in order.
struct File {
    static constexpr size_t kMaxHeaders = 4096;
    std::array<Header, kMaxHeaders> headers{};
    size_t count = 0;
    uint32_t total_size = 0;
};

// Checks magic, version, that the variable headers lie inside the file, the
// total size, the checksum, and every header's length and padding.
// kTruncated, kBadMagic, kBadVersion, kOutOfRange, kInvalidArgument (checksum
// or a header that overruns), kMisaligned (a header not 8-aligned).
// out (large) is written on success only.
Result<void> parse(std::span<const uint8_t> bytes, File& out);

// Builds a file into a caller's buffer: headers first, then data; finish()
// writes the fixed header with size and checksum and returns the file.
class Writer {
public:
    explicit Writer(std::span<uint8_t> buffer, size_t max_header_bytes);
    // Appends a header (body copied, padded to 8). kNoMemory when full.
    Result<void> add(HeaderType type, std::span<const uint8_t> body);
    // Appends file data (for PAGE_DATA and VP_CONTEXT); its file offset.
    Result<uint32_t> add_data(std::span<const uint8_t> data);
    Result<std::span<const uint8_t>> finish();

private:
    std::span<uint8_t> buf_;
    size_t header_end_;    // next free byte in the header area
    size_t header_limit_;  // first byte of the data area
    size_t data_end_;
};

// SNP_LAUNCH_UPDATE's PAGE_INFO (Firmware ABI 56860; SPEC-FACTS.md 8): the
// 112 bytes hashed (SHA-384) to advance the launch digest for one page.
inline constexpr size_t kPageInfoSize = 0x70;
enum class SnpPageType : uint8_t { kNormal = 1, kVmsa = 2, kZero = 3, kUnmeasured = 4, kSecrets = 5, kCpuid = 6 };
std::array<uint8_t, kPageInfoSize> page_info(std::span<const uint8_t, 48> digest_cur,
                                             std::span<const uint8_t, 48> contents, SnpPageType type, uint64_t gpa);

}  // namespace warden::igvm
