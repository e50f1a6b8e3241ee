// Copy-then-parse of the PVH start_info (lib/warden/pvh.hpp does the parsing).
#include "boot/boot_info.hpp"

#include "log.hpp"
#include "warden/bytes.hpp"
#include "warden/checked.hpp"
#include "warden/igvm/memory_map.hpp"
#include "warden/pvh.hpp"

extern "C" const char __kernel_phys_start[];
extern "C" const char __kernel_phys_end[];

namespace warden::boot {
namespace {

BootInfo boot_info;
constexpr size_t kMaxCmdline = 512;
char cmdline_copy[kMaxCmdline + 1];

// The boot page table identity-maps the low 4 GiB; the loader's structures
// live there. Anything above is refused rather than read.
constexpr uint64_t kIdentityLimit = 4ull << 30;

Result<void> copy_phys(uint64_t phys, void* dst, size_t size) {
    auto end = checked_end(phys, size);
    if (!end || *end > kIdentityLimit || phys == 0) return Fail(Error::kOutOfRange);
    const auto* src = reinterpret_cast<const volatile uint8_t*>(phys);
    auto* out = static_cast<uint8_t*>(dst);
    for (size_t i = 0; i < size; ++i) out[i] = src[i];
    return {};
}

// The command line is a NUL-terminated string; copy up to the limit.
void copy_cmdline(uint64_t phys) {
    size_t len = 0;
    if (phys != 0 && phys < kIdentityLimit - kMaxCmdline) {
        const auto* src = reinterpret_cast<const volatile char*>(phys);
        while (len < kMaxCmdline && src[len] != '\0') {
            cmdline_copy[len] = src[len];
            ++len;
        }
    }
    cmdline_copy[len] = '\0';
    boot_info.cmdline = CommandLine(std::string_view(cmdline_copy, len));
}

}  // namespace

void record_image(uint64_t entry_tsc) {
    boot_info.entry_tsc = entry_tsc;
    boot_info.image = PhysRange{PhysAddr(reinterpret_cast<uint64_t>(__kernel_phys_start)),
                                static_cast<uint64_t>(__kernel_phys_end - __kernel_phys_start)};
}

Result<void> load_from_pvh(uint64_t start_info_phys, uint64_t entry_tsc) {
    record_image(entry_tsc);

    uint8_t header[pvh::kStartInfoSize];
    WARDEN_TRY_VOID(copy_phys(start_info_phys, header, sizeof header));
    WARDEN_TRY(start, pvh::parse_start_info(header));

    uint8_t entries[MemoryMap::kMaxRegions * pvh::kMemmapEntrySize];
    const size_t bytes = size_t{start.memmap_entries} * pvh::kMemmapEntrySize;
    WARDEN_TRY_VOID(copy_phys(start.memmap_paddr, entries, bytes));
    WARDEN_TRY_VOID(
        pvh::parse_memmap(std::span<const uint8_t>(entries, bytes), start.memmap_entries, boot_info.memory));
    copy_cmdline(start.cmdline_paddr);
    boot_info.rsdp = start.rsdp_paddr;
    if (!boot_info.memory.is_ram(boot_info.image)) return Fail(Error::kOutOfRange);
    return {};
}

Result<void> load_from_igvm(uint64_t boot_block_phys, uint64_t entry_tsc) {
    record_image(entry_tsc);
    boot_info.kind = BootKind::kIgvm;
    uint8_t block[igvm::kBootBlockSize];
    WARDEN_TRY_VOID(copy_phys(boot_block_phys, block, sizeof block));
    WARDEN_TRY(bb, igvm::parse_boot_block(block));
    boot_info.launch = bb;
    boot_info.firmware = bb.firmware;

    static uint8_t area[kPageSize];  // the loader's map: copied, parsed, then cut to the SVSM's part
    WARDEN_TRY_VOID(copy_phys(bb.memory_map.raw(), area, bb.memory_map_size));
    static MemoryMap loader_map;
    WARDEN_TRY_VOID(igvm::parse_memory_map(std::span<const uint8_t>(area, bb.memory_map_size), loader_map));
    if (!loader_map.is_ram(bb.svsm) || !bb.svsm.contains(boot_info.image)) return Fail(Error::kOutOfRange);
    const PhysRange data = bb.boot_data;
    WARDEN_TRY_VOID(boot_info.memory.add(bb.svsm.base, data.base - bb.svsm.base, RegionType::kRam));
    WARDEN_TRY_VOID(boot_info.memory.add(data.base, data.size, RegionType::kReserved));
    WARDEN_TRY_VOID(boot_info.memory.add(data.end(), bb.svsm.end() - data.end(), RegionType::kRam));

    uint8_t vp[4];
    WARDEN_TRY_VOID(copy_phys(bb.vp_count.raw(), vp, sizeof vp));
    boot_info.vp_count = load_le<uint32_t>(vp, 0);
    if (boot_info.vp_count == 0) return Fail(Error::kOutOfRange);
    boot_info.cmdline = CommandLine("");
    return {};
}

const BootInfo& info() { return boot_info; }

}  // namespace warden::boot
