// fw_cfg as the kernel reads it itself, at boot on the firmware path (no
// SeaBIOS, no start_info): the memory map, the command line and the ACPI
// tables come from files. Reads go by DMA (port reads only where the device
// has no DMA interface) into memory whose physical address the caller names;
// what arrives is parsed by lib/ afterwards. The fw_cfg service takes over
// once tasks run.
#pragma once

#include <string_view>

#include "warden/addr.hpp"
#include "warden/fw_cfg.hpp"

namespace warden::boot::fw_cfg_boot {

// Checks the device ("QEMU" signature) and reads its file directory.
// kBadMagic without a device.
Result<void> init();
bool has_dma();
// nullptr if the host did not pass that file.
const fw_cfg::File* find(std::string_view name);
// The first `len` (<= f.size) bytes of f into dst, which is mapped at dst_va
// in the current page tables and is physically contiguous at dst_pa.
Result<void> read(const fw_cfg::File& f, void* dst_va, PhysAddr dst_pa, size_t len);

}  // namespace warden::boot::fw_cfg_boot
