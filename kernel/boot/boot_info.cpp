// Copy-then-parse of what the kernel boots from: the PVH start_info, the IGVM
// boot block, or fw_cfg on the firmware path (lib/ does the parsing).
#include "boot/boot_info.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/tsc.hpp"
#include "boot/fw_cfg_boot.hpp"
#include "log.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "warden/acpi/table_loader.hpp"
#include "warden/bytes.hpp"
#include "warden/checked.hpp"
#include "warden/e820.hpp"
#include "warden/igvm/memory_map.hpp"
#include "warden/pvh.hpp"

extern "C" const char __kernel_phys_start[];
extern "C" const char __kernel_phys_end[];

namespace warden::boot {
namespace {

BootInfo boot_info;
constexpr size_t kMaxCmdline = 512;
char cmdline_copy[kMaxCmdline + 1];

constexpr unsigned kMaxAcpiOrder = 8;  // 1 MiB per fw_cfg ACPI file (QEMU's tables: ~128 KiB)

// Copies [phys, phys + size) out of the identity-mapped memory (boot_info.identity:
// the loader's structures live there); anything else is refused rather than read.
Result<void> copy_phys(uint64_t phys, void* dst, size_t size) {
    auto end = checked_end(phys, size);
    if (!end || phys == 0 || !boot_info.identity.contains(PhysRange{PhysAddr(phys), size}))
        return Fail(Error::kOutOfRange);
    const auto* src = reinterpret_cast<const volatile uint8_t*>(phys);
    auto* out = static_cast<uint8_t*>(dst);
    for (size_t i = 0; i < size; ++i) out[i] = src[i];
    return {};
}

// The command line is a NUL-terminated string; copy up to the limit.
void copy_cmdline(uint64_t phys) {
    size_t len = 0;
    if (phys != 0 && phys < boot_info.identity.end().raw() - kMaxCmdline) {
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

// The image where it was linked, unless the IGVM boot says otherwise (load_from_igvm).
void record_image(uint64_t entry_tsc) {
    boot_info.entry_tsc = entry_tsc;
    boot_info.image = PhysRange{PhysAddr(reinterpret_cast<uint64_t>(__kernel_phys_start) + mm::image_load_offset),
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
    boot_info.kind = BootKind::kIgvm;
    // The block is in the SVSM memory the entry tables map, which it alone
    // says: its page is read before the range is known (RBX is measured).
    if (boot_block_phys == 0 || boot_block_phys % kPageSize != 0) return Fail(Error::kMisaligned);
    boot_info.identity = PhysRange{PhysAddr(boot_block_phys), kPageSize};
    uint8_t block[igvm::kBootBlockSize];
    WARDEN_TRY_VOID(copy_phys(boot_block_phys, block, sizeof block));
    WARDEN_TRY(bb, igvm::parse_boot_block(block));
    if (!bb.svsm.contains(PhysRange{PhysAddr(boot_block_phys), kPageSize})) return Fail(Error::kOutOfRange);
    boot_info.identity = bb.svsm;
    boot_info.launch = bb;
    boot_info.firmware = bb.firmware;
    // The image is at the bottom of the SVSM memory (the packer's layout),
    // wherever it was linked.
    mm::image_load_offset = bb.svsm.base.raw() - reinterpret_cast<uint64_t>(__kernel_phys_start);
    record_image(entry_tsc);

    static uint8_t area[kPageSize];  // the loader's map: copied, parsed, then cut to the SVSM's part
    WARDEN_TRY_VOID(copy_phys(bb.memory_map.raw(), area, bb.memory_map_size));
    MemoryMap& loader_map = boot_info.loader_memory;
    WARDEN_TRY_VOID(igvm::parse_memory_map(std::span<const uint8_t>(area, bb.memory_map_size), loader_map));
    // SVSM memory is either outside the VM's RAM (the default: backed by the
    // host for the IGVM file alone, as QEMU backs ranges no RAM covers) or
    // all inside it (--svsm-base below the RAM's end); never half of each.
    const uint64_t in_ram = loader_map.ram_bytes_in(bb.svsm);
    if ((in_ram != 0 && in_ram != bb.svsm.size) || !bb.svsm.contains(boot_info.image)) return Fail(Error::kOutOfRange);
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

Result<void> load_from_firmware(uint64_t entry_tsc) {
    record_image(entry_tsc);
    boot_info.kind = BootKind::kFirmware;
    WARDEN_TRY_VOID(fw_cfg_boot::init());
    const fw_cfg::File* e820 = fw_cfg_boot::find("etc/e820");
    if (e820 == nullptr) return Fail(Error::kNotFound);
    alignas(16) static uint8_t table[MemoryMap::kMaxRegions * e820::kEntrySize];
    if (e820->size > sizeof table) return Fail(Error::kOutOfRange);
    WARDEN_TRY_VOID(fw_cfg_boot::read(*e820, table, mm::image_phys(table), e820->size));
    WARDEN_TRY_VOID(e820::parse_table(std::span<const uint8_t>(table, e820->size), boot_info.memory));
    if (const fw_cfg::File* cmdline = fw_cfg_boot::find("opt/warden/cmdline")) {
        const size_t len = cmdline->size < kMaxCmdline ? cmdline->size : kMaxCmdline;
        WARDEN_TRY_VOID(fw_cfg_boot::read(*cmdline, cmdline_copy, mm::image_phys(cmdline_copy), len));
        size_t n = 0;
        while (n < len && cmdline_copy[n] != '\0') ++n;  // a string= file may carry its NUL
        cmdline_copy[n] = '\0';
        boot_info.cmdline = CommandLine(std::string_view(cmdline_copy, n));
    }
    if (!boot_info.memory.is_ram(boot_info.image)) return Fail(Error::kOutOfRange);
    return {};
}

namespace {

// Frames for n bytes of fw_cfg file, zeroed (a buddy block: aligned to its size).
Result<PhysAddr> frames_for(size_t n, unsigned& order) {
    order = mm::BuddyAllocator::order_for_bytes(n);
    if (order > kMaxAcpiOrder) return Fail(Error::kOutOfRange);
    return mm::alloc_zeroed(order);
}

Result<void> read_file(std::string_view name, PhysAddr& at, size_t& size, unsigned& order) {
    const fw_cfg::File* f = fw_cfg_boot::find(name);
    if (f == nullptr) return Fail(Error::kNotFound);
    WARDEN_TRY(frames, frames_for(f->size, order));
    if (auto r = fw_cfg_boot::read(*f, mm::phys_to_virt(frames), frames, f->size); !r) {
        mm::free_frames(frames, order);
        return r;
    }
    at = frames;
    size = f->size;
    return {};
}

}  // namespace

// The script is read, parsed and freed; every file it allocates is read into
// frames the kernel keeps for good (the tables are the VM's), then patched.
Result<void> load_acpi_from_firmware() {
    const uint64_t t0 = arch::rdtsc();
    PhysAddr script_at;
    size_t script_size = 0;
    unsigned script_order = 0;
    WARDEN_TRY_VOID(read_file(acpi::kTableLoaderFile, script_at, script_size, script_order));
    static acpi::TableLoaderScript script;  // ~3 KiB: off the boot stack
    auto parsed = acpi::parse_table_loader(std::span<const uint8_t>(mm::phys_to_virt<uint8_t>(script_at), script_size));
    mm::free_frames(script_at, script_order);
    if (!parsed) return Fail(parsed.error());
    script = *parsed;

    acpi::Blob blobs[acpi::TableLoaderScript::kMaxFiles];
    PhysAddr held[acpi::TableLoaderScript::kMaxFiles];
    unsigned orders[acpi::TableLoaderScript::kMaxFiles] = {};
    size_t n = 0;
    auto release = [&] {
        for (size_t i = 0; i < n; ++i) mm::free_frames(held[i], orders[i]);
    };
    for (const acpi::LoaderFile& file : script.files()) {
        size_t size = 0;
        if (auto r = read_file(file.name_view(), held[n], size, orders[n]); !r) {
            release();
            return r;
        }
        blobs[n] = acpi::Blob{file.name, std::span<uint8_t>(mm::phys_to_virt<uint8_t>(held[n]), size), held[n].raw()};
        ++n;
    }
    auto rsdp = script.rsdp_file();
    if (auto r = acpi::apply(script, std::span<const acpi::Blob>(blobs, n)); !r || !rsdp) {
        release();
        return Fail(!r ? r.error() : rsdp.error());
    }
    boot_info.rsdp = held[*rsdp].raw();
    log::info("acpi: {} files from fw_cfg etc/table-loader ({} commands), RSDP at {:#x}, in {} us", n,
              script.commands().size(), boot_info.rsdp, arch::tsc_delta_us(t0, arch::rdtsc()));
    return {};
}

Result<void> load(BootKind kind, uint64_t boot_arg, uint64_t entry_tsc) {
    switch (kind) {
    case BootKind::kFirmware:
        log::info("warden: booting as the firmware (-bios), from the reset vector");
        return load_from_firmware(entry_tsc);
    case BootKind::kIgvm:
        log::info("warden: booting via IGVM, boot block at {:#x}", boot_arg);
        return load_from_igvm(boot_arg, entry_tsc);
    case BootKind::kPvh: break;
    }
    log::info("warden: booting via PVH, start_info at {:#x}", boot_arg);
    return load_from_pvh(boot_arg, entry_tsc);
}

void load_late() {
    if (boot_info.kind != BootKind::kFirmware) return;
    if (auto a = load_acpi_from_firmware(); !a)
        log::warn("acpi: no tables from fw_cfg etc/table-loader: {}", a.error());
}

void log_entry_cost(uint64_t tsc0, uint64_t tsc1) {
    if (boot_info.kind != BootKind::kFirmware) return;
    log::info(
        "firmware: kernel_main {} us after the reset vector (stub, ROM copy, long mode), fw_cfg "
        "directory, memory map and command line {} us",
        arch::tsc_delta_us(boot_info.entry_tsc, tsc0), arch::tsc_delta_us(tsc0, tsc1));
}

const BootInfo& info() { return boot_info; }

}  // namespace warden::boot
