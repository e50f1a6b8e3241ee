// What the kernel learns from its loader before anything else: the memory map,
// the command line and where its own image sits. Copied out of loader-owned
// memory and validated once, at boot; read-only afterwards.
#pragma once

#include "warden/cmdline.hpp"
#include "warden/igvm/boot_block.hpp"
#include "warden/memmap.hpp"

namespace warden::boot {

// Which entry the kernel came in through (entry_pvh.S passes it).
enum class BootKind : uint64_t { kPvh = 0, kIgvm = 1, kFirmware = 2 };

struct BootInfo {
    BootKind kind = BootKind::kPvh;
    // What the frame allocator may use: all RAM (PVH), or the SVSM memory
    // with the boot data pages reserved (IGVM: the rest is the guest's).
    MemoryMap memory;
    CommandLine cmdline{""};
    PhysRange image;  // the kernel image: where its pages are (mm::image_load_offset)
    // What the entry page tables identity-map, the only physical memory the
    // kernel reaches until its own tables are live: the low 4 GiB (PVH,
    // firmware), the SVSM memory and nothing else (IGVM).
    PhysRange identity{PhysAddr(0), uint64_t{4} << 30};
    uint64_t entry_tsc = 0;  // TSC at the first instruction
    uint64_t rsdp = 0;       // ACPI RSDP from the loader, 0 if it gave none
    // IGVM only: the loader's own map (the MEMORY_MAP parameter: all the
    // VM's RAM, of which `memory` is the SVSM's part; the rest is the guest's).
    MemoryMap loader_memory;
    // IGVM only: the checked boot block, and the vCPU count the loader gave.
    igvm::BootBlock launch;
    uint32_t vp_count = 0;
    // IGVM only: the guest firmware's flash the launch measured (ending at
    // 4 GiB, clear of SVSM memory); empty on PVH or without --firmware.
    PhysRange firmware;
};

// Reads hvm_start_info at start_info_phys (PVH entry). The start_info, memmap
// and command line are copied before they are parsed. On failure nothing
// in the returned info may be trusted, and the error says why.
Result<void> load_from_pvh(uint64_t start_info_phys, uint64_t entry_tsc);

// Reads the boot block at boot_block_phys (IGVM entry), then the memory map
// and vCPU count the loader inserted. Same rules: copied, then parsed.
Result<void> load_from_igvm(uint64_t boot_block_phys, uint64_t entry_tsc);

// Firmware entry (-bios): the memory map from fw_cfg etc/e820 and the
// command line from opt/warden/cmdline, read by the kernel itself
// (fw_cfg_boot.hpp). Same rules: copied, then parsed.
Result<void> load_from_firmware(uint64_t entry_tsc);
// Firmware entry, once frames can be allocated: QEMU's ACPI tables through
// its linker/loader script (etc/table-loader), so that the MADT is found as
// on the other paths. Sets the RSDP.
Result<void> load_acpi_from_firmware();

// The entry's loader, by kind (entry_pvh.S passes it): one of the three above.
Result<void> load(BootKind kind, uint64_t boot_arg, uint64_t entry_tsc);
// Once frames can be allocated: what the entry still needs (the firmware
// path's ACPI tables; nothing on the others). Failures are warnings.
void load_late();
// Once the TSC is calibrated: what the entry cost before kernel_main
// reached the loader (tsc0) and the loader itself (tsc1), where that is
// worth saying (the firmware path).
void log_entry_cost(uint64_t tsc0, uint64_t tsc1);

const BootInfo& info();

}  // namespace warden::boot
