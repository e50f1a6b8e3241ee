// QEMU's fw_cfg interface (QEMU docs/specs/fw_cfg.rst; SPEC-FACTS.md): the
// constants, the file directory parser, and the DMA access descriptor. The
// directory comes from the host: it is copied, then checked here.
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "warden/result.hpp"

namespace warden::fw_cfg {

inline constexpr uint16_t kSelectorPort = 0x510;  // 16-bit, little endian
inline constexpr uint16_t kDataPort = 0x511;      // 8-bit
inline constexpr uint16_t kDmaPortHigh = 0x514;   // 32-bit, big endian: address bits 63:32
inline constexpr uint16_t kDmaPortLow = 0x518;    // writing bits 31:0 starts the transfer
inline constexpr uint16_t kSignature = 0x0000;    // "QEMU"
inline constexpr uint16_t kId = 0x0001;           // bit 0 traditional interface, bit 1 DMA
inline constexpr uint16_t kFileDir = 0x0019;
inline constexpr uint32_t kIdDma = 1u << 1;
inline constexpr size_t kFileEntrySize = 64;
inline constexpr size_t kFileNameSize = 56;
inline constexpr size_t kMaxFiles = 256;  // more than QEMU ever lists; refused beyond

// DMA control bits (FWCfgDmaAccess.control, big endian).
inline constexpr uint32_t kDmaError = 0x01, kDmaRead = 0x02, kDmaSkip = 0x04, kDmaSelect = 0x08, kDmaWrite = 0x10;

struct File {
    uint32_t size = 0;
    uint16_t selector = 0;
    std::array<char, kFileNameSize> name{};
    std::string_view name_view() const;
};

struct Directory {
    std::array<File, kMaxFiles> files{};
    size_t count = 0;
    const File* find(std::string_view name) const;
};

// bytes: the BE32 count followed by the entries, as read from kFileDir.
// kTruncated if fewer bytes than the count needs, kOutOfRange above kMaxFiles,
// kInvalidArgument for a name without its NUL.
// out is written only when the whole directory checks out (it is ~17 KiB:
// callers keep it off small stacks).
Result<void> parse_directory(std::span<const uint8_t> bytes, Directory& out);
// The count alone, from the first 4 bytes (BE32).
Result<uint32_t> parse_count(std::span<const uint8_t> bytes);

// The 16-byte FWCfgDmaAccess descriptor, big endian in memory.
struct DmaAccess {
    uint32_t control_be;
    uint32_t length_be;
    uint64_t address_be;
};
static_assert(sizeof(DmaAccess) == 16, "fw_cfg.rst: FWCfgDmaAccess");

// A read of `length` bytes of `selector` into `address`.
DmaAccess make_dma_read(uint16_t selector, uint32_t length, uint64_t address);
// Selects and skips `length` bytes: the next read continues from there (the
// traditional interface has no seek).
DmaAccess make_dma_skip(uint16_t selector, uint32_t length);
// Reads on from where the item's offset stands, without selecting.
DmaAccess make_dma_read_on(uint32_t length, uint64_t address);
// Done when control reads 0; kInvalidArgument if the device set the error bit.
enum class DmaState { kBusy, kDone, kError };
DmaState dma_state(uint32_t control_be);

constexpr uint32_t be32(uint32_t v) { return __builtin_bswap32(v); }
constexpr uint64_t be64(uint64_t v) { return __builtin_bswap64(v); }

}  // namespace warden::fw_cfg
