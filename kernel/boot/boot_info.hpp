// What the kernel learns from its loader before anything else: the memory map,
// the command line and where its own image sits. Copied out of loader-owned
// memory and validated once, at boot; read-only afterwards.
#pragma once

#include "warden/cmdline.hpp"
#include "warden/memmap.hpp"

namespace warden::boot {

struct BootInfo {
    MemoryMap memory;
    CommandLine cmdline{""};
    PhysRange image;         // the kernel image, from the linker's symbols
    uint64_t entry_tsc = 0;  // TSC at the first instruction
    uint64_t rsdp = 0;       // ACPI RSDP from the loader, 0 if it gave none
};

// Reads hvm_start_info at start_info_phys (PVH entry). The start_info, memmap
// and command line are copied before they are parsed. On failure nothing
// in the returned info may be trusted, and the error says why.
Result<void> load_from_pvh(uint64_t start_info_phys, uint64_t entry_tsc);

const BootInfo& info();

}  // namespace warden::boot
