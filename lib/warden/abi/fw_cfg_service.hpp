// The fw_cfg service's protocol on its queue ("fw_cfg"). Requests and replies
// are plain messages; file data travels in the reply's words, 32 bytes at a
// time (bulk reads through a shared buffer come with the BIOS loader).
#pragma once

#include "warden/abi/syscall.hpp"

namespace warden::abi::fw_cfg_service {

// label kLookup: words hold the file name (NUL-padded, at most 31 bytes).
// Reply: label 0 and words[0] = selector, words[1] = size; or label = Error.
inline constexpr uint64_t kLookup = 1;
// label kRead: words[0] = selector, words[1] = offset, words[2] = length.
// Reply: label 0, up to kChunk bytes of data in words[0..2], their count in
// words[3]; or label = Error (kNotFound, kOutOfRange).
inline constexpr uint64_t kRead = 2;
inline constexpr size_t kChunk = 24;  // data bytes per read reply (words 0..2)
// label kReadDma: words[0] = selector, words[1] = offset, words[2] = length,
// words[3] = physical address of the destination, which must lie in one of
// the caller's own DMA buffers (the service checks with kDmaCheck: device
// DMA bypasses page tables). Reply: label 0, words[0] = bytes read (fewer at
// the file's end); or label = Error (kNotFound, kOutOfRange, kDenied,
// kUnsupported without the DMA interface, kTimedOut when the device reports
// an error or does not finish).
inline constexpr uint64_t kReadDma = 3;
inline constexpr uint64_t kMaxDmaRead = 64 << 10;

}  // namespace warden::abi::fw_cfg_service
