// What warden-igvm packs: the kernel's loadable pages and IGVM entry point
// (from its ELF file), and the guest's OVMF image with its SEV metadata.
#pragma once

#include "tool.hpp"
#include "warden/ovmf.hpp"

namespace warden::tool {

struct KernelImage {
    uint64_t entry = 0;  // igvm_start64, from the kernel's WardenIGVM note
    struct Page {
        uint64_t gpa;
        Bytes bytes;  // 4 KiB
    };
    std::vector<Page> pages;             // every 4 KiB of every PT_LOAD, at its physical address
    uint64_t lo = ~uint64_t{0}, hi = 0;  // the pages' extent
    // Virtual minus link (physical) address of the segments that run in the
    // higher half (linker/kernel.ld KERNEL_VMA), read from them.
    uint64_t higher_half = 0;
};
KernelImage load_kernel(const std::string& path);

struct FirmwareImage {
    Bytes bytes;
    ovmf::Firmware fw;
};
// Dies on anything an SNP launch cannot use (not OVMF, no SEV metadata).
FirmwareImage load_firmware(const std::string& path);
// Dies, naming the section, if a metadata section misses guest RAM below
// the flash or touches the SVSM memory.
void check_firmware_placement(const std::string& path, const ovmf::Firmware& fw, PhysRange svsm);

}  // namespace warden::tool
