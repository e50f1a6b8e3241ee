// The host's fw_cfg client (QEMU docs/specs/fw_cfg.rst; SPEC-FACTS 10): DMA
// for files (the IGVM file is ~0.5 MiB: byte-wise port reads would cost
// seconds under KVM, QEMU-FACTS "Devices"), port reads for small items.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "warden/fw_cfg.hpp"
#include "warden/result.hpp"

namespace snp_host::fw_cfg {

inline constexpr uint16_t kRamSize = 0x0003;   // u64 LE (what firmware/reset.S checks)
inline constexpr uint16_t kCpuCount = 0x0005;  // u16 LE (QEMU -smp)

// Little-endian item of up to 8 bytes through the data port.
uint64_t read_small(uint16_t selector, unsigned bytes);
// Reads the named file into out (its size checked against out's); the
// file's size. kNotFound, kUnsupported (no DMA), kOutOfRange (too large),
// kInvalidArgument (the device reported an error).
warden::Result<size_t> read_file(std::string_view name, std::span<uint8_t> out);
// L1's file directory as the last read_file found it (empty before one).
const warden::fw_cfg::Directory& l1_directory();

}  // namespace snp_host::fw_cfg
