// The BIOS loader: finds the guest's firmware (OVMF), checks its SEV
// metadata, puts the image where it maps, prepares guest memory by the
// rules (pre-validated ranges, the secrets page with the SVSM fields, the
// CPUID page) through the kernel's guest calls, and describes the guest's
// first vCPU as a VMSA in its reset state. Then it asks the kernel to start
// that vCPU: on native there is no lower VMPL, and the answer is
// "unsupported" (docs/bios_loader.md).
//
// Everything from the host (the fw_cfg file) is copied, then checked, then
// used: the image's tail is parsed from a private copy before one byte goes
// to the guest, and the tail the guest got is compared with that copy.
#include <cstring>

#include "../loader_calls.hpp"
#include "service.hpp"
#include "warden/abi/fw_cfg_service.hpp"
#include "warden/ovmf.hpp"
#include "warden/sev/cpuid_table.hpp"
#include "warden/sev/secrets.hpp"
#include "warden/sev/vmsa.hpp"

// On CPU 0, the guest BSP's: GuestInfo's Calling Area is then vCPU 0's.
WARDEN_SERVICE_MANIFEST(.name = "bios_loader", .serves = "", .uses = {"fw_cfg"}, .ports = {}, .cpu = 0,
                        .flags = warden::abi::kManifestSvsm);

namespace {

using namespace warden;
using abi::Sys;
namespace proto = abi::fw_cfg_service;
using loader::FwCfgFile;
using loader::guest_read;
using loader::guest_write;
using loader::look_up;
using loader::syscall_result;

constexpr char kFirmwareFile[] = "opt/warden/firmware";
constexpr uint64_t kChunk = proto::kMaxDmaRead;  // 64 KiB: one fw_cfg DMA read, one guest write
static_assert(kChunk <= abi::kMaxGuestCopy);
constexpr uint64_t kTail = kChunk;  // what the parser reads: the footer and metadata live here

abi::GuestInfo info;
uint8_t tail[kTail];    // the private copy the metadata is parsed from
uint8_t chunk[kChunk];  // private: what goes to the guest (under SNP the DMA buffer is the host's to change)
uint8_t page[kPageSize];
std::array<uint8_t, sev::kVmsaSize> vmsa;  // the guest BSP's, handed to the kernel to copy
uint8_t* dma = nullptr;
uint64_t dma_phys = 0;

// Validates pages for the guest (zeroed by the kernel); already valid is fine.
Result<void> validate(PhysRange r) {
    for (uint64_t at = 0; at < r.size;) {
        const bool huge = (r.base + at).is_aligned(kLargePageSize) && r.size - at >= kLargePageSize;
        const int64_t v = svc::syscall(Sys::kGuestPvalidate, (r.base + at).raw(), huge, 1);
        if (v < 0) return Fail(static_cast<Error>(-v));
        at += huge ? kLargePageSize : kPageSize;
    }
    return {};
}

// The image's size: whole pages that fit the flash region.
Result<void> check_size(uint64_t size) {
    if (size == 0 || size > info.flash_size) {
        svc::log("bios_loader: the firmware is {} bytes: it must be 1..{} KiB (the flash region)", size,
                 info.flash_size / 1024);
        return Fail(Error::kOutOfRange);
    }
    if (size % kPageSize != 0) {
        svc::log("bios_loader: the firmware is {} bytes: not a whole number of 4 KiB pages", size);
        return Fail(Error::kMisaligned);
    }
    return {};
}

// How much of an image's end the parser gets: the last kTail bytes, or all of a smaller one.
uint64_t tail_bytes(uint64_t size) { return size < kTail ? size : kTail; }

Result<ovmf::Firmware> parse(uint64_t size) {
    const uint64_t n = tail_bytes(size);
    auto fw = ovmf::parse_tail(std::span<const uint8_t>(tail + kTail - n, n), size);
    if (!fw) {
        svc::log("bios_loader: not a usable OVMF image: {} (footer table or SEV metadata)", error_name(fw.error()));
        return fw;
    }
    if (!fw->has_sev_metadata) {
        svc::log("bios_loader: the image has no SEV metadata: not an SNP-capable OVMF build");
        return Fail(Error::kNotFound);
    }
    const PhysRange ram[] = {PhysRange{PhysAddr(info.memory_base), info.memory_size}};
    if (auto r = ovmf::check_placement(*fw, ram, PhysRange{PhysAddr(info.svsm_base), info.svsm_size}); !r) {
        svc::log("bios_loader: the SEV metadata places a section {}: refused",
                 r.error() == Error::kOverlap ? "over SVSM memory" : "outside guest RAM");
        return Fail(r.error());
    }
    return fw;
}

// Native: the file from fw_cfg, its tail first (parsed before anything is
// written), then the whole image into the flash region.
Result<ovmf::Firmware> load_from_fw_cfg(const FwCfgFile& f) {
    WARDEN_TRY_VOID(check_size(f.size));
    const uint64_t n = tail_bytes(f.size);
    WARDEN_TRY_VOID(loader::read_chunk(f, f.size - n, n, dma_phys));
    std::memcpy(tail + kTail - n, dma, n);
    WARDEN_TRY(fw, parse(f.size));
    WARDEN_TRY_VOID(validate(PhysRange{PhysAddr(info.flash_base), info.flash_size}));
    for (uint64_t off = 0; off < f.size; off += kChunk) {
        const uint64_t len = f.size - off < kChunk ? f.size - off : kChunk;
        WARDEN_TRY_VOID(loader::read_chunk(f, off, len, dma_phys));
        std::memcpy(chunk, dma, len);
        WARDEN_TRY_VOID(guest_write(fw.flash.base.raw() + off, chunk, len));
    }
    // What the guest got must be what was parsed: the host could have
    // changed the file between the two reads.
    WARDEN_TRY_VOID(guest_read(fw.flash.end().raw() - n, chunk, n));
    if (std::memcmp(chunk, tail + kTail - n, n) != 0) {
        svc::log("bios_loader: the firmware changed while it was read: refused");
        return Fail(Error::kInvalidArgument);
    }
    return fw;
}

// IGVM: the launch measured the image into the flash region already.
Result<ovmf::Firmware> load_from_launch() {
    WARDEN_TRY_VOID(check_size(info.firmware_size));
    const uint64_t n = tail_bytes(info.firmware_size);
    WARDEN_TRY_VOID(guest_read(info.flash_base + info.flash_size - n, tail + kTail - n, n));
    return parse(info.firmware_size);
}

// Native only: a CPUID at CPL3 would be a #VC on SNP, where the kernel
// places the PSP-checked page instead.
sev::CpuidResult cpuid(uint32_t leaf, uint32_t subleaf) {
    sev::CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

// One metadata section made ready for the guest; caa is where the BSP's
// Calling Area is (the secrets page tells the guest).
Result<void> prepare(const ovmf::Section& s, uint64_t caa) {
    WARDEN_TRY_VOID(validate(s.range));
    const uint64_t gpa = s.range.base.raw();
    switch (s.type) {
    case ovmf::SectionType::kSnpSecrets: {
        // The kernel's: the platform's secrets (SNP: the PSP's page, the
        // VMPCKs above the guest's VMPL cleared; native: none) and the SVSM fields.
        WARDEN_TRY_VOID(syscall_result(svc::syscall(Sys::kGuestSecrets, gpa, caa)));
        // What the guest will read: back from its memory, through the guest's parser.
        WARDEN_TRY_VOID(guest_read(gpa, page, kPageSize));
        WARDEN_TRY(seen, sev::read_svsm_fields(page));
        std::memset(page, 0, sizeof page);  // the guest's keys stay in the guest's page
        svc::log("bios_loader: secrets page at {:#x}: SVSM {:#x}+{:#x}, Calling Area {:#x}, VMPL{}, protocol {}", gpa,
                 seen.base, seen.size, seen.caa, seen.guest_vmpl, seen.max_version);
        return {};
    }
    case ovmf::SectionType::kCpuid: {
        // The platform's page as the PSP checked it; native has none, and
        // the loader builds one from the CPU's answers.
        const int64_t placed = svc::syscall(Sys::kGuestCpuid, gpa);
        if (placed == 0) {
            svc::log("bios_loader: CPUID page at {:#x}: the platform's", gpa);
            return {};
        }
        if (placed != -static_cast<int64_t>(Error::kNotFound)) return syscall_result(placed);
        WARDEN_TRY(count,
                   sev::build_cpuid_page(sev::default_guest_leaves(), cpuid, std::span<uint8_t, kPageSize>(page)));
        svc::log("bios_loader: CPUID page at {:#x}: {} leaves from the CPU", gpa, count);
        return guest_write(gpa, page, kPageSize);
    }
    default: return {};  // pre-validated memory, the Calling Area, the kernel hashes: zeroed pages
    }
}

// The BSP's Calling Area: the firmware's SVSM_CAA section, else the kernel's initial one.
uint64_t bsp_caa(const ovmf::Firmware& fw) {
    uint64_t caa = info.caa;
    for (const ovmf::Section& s : fw.section_list()) {
        if (s.type == ovmf::SectionType::kSvsmCaa) caa = s.range.base.raw();  // the firmware chose it
    }
    return caa;
}

Result<void> prepare_guest(const ovmf::Firmware& fw) {
    const uint64_t caa = bsp_caa(fw);
    for (const ovmf::Section& s : fw.section_list()) {
        if (auto r = prepare(s, caa); !r) {
            svc::log("bios_loader: section {:#x}+{:#x} ({}): {}", s.range.base.raw(), s.range.size,
                     ovmf::section_name(s.type), error_name(r.error()));
            return r;
        }
        svc::log("bios_loader: section {:#x}+{:#x} ({}) validated", s.range.base.raw(), s.range.size,
                 ovmf::section_name(s.type));
    }
    return {};
}

int64_t run() {
    if (svc::syscall(Sys::kGuestInfo, reinterpret_cast<uint64_t>(&info)) < 0) {
        svc::log("bios_loader: no guest memory on this platform yet: nothing to load (docs/bios_loader.md)");
        return 1;
    }
    if (info.memory_size == 0 || info.flash_size == 0) {
        svc::log("bios_loader: the platform gives the guest no {}: nothing to load (docs/bios_loader.md)",
                 info.memory_size == 0 ? "RAM" : "flash");
        return 1;
    }
    const uint64_t t0 = svc::rdtsc();
    Result<ovmf::Firmware> fw = Fail(Error::kNotFound);
    if (info.firmware_size != 0) {
        fw = load_from_launch();
    } else {
        auto file = look_up(kFirmwareFile);
        if (!file) {
            svc::log("bios_loader: no firmware: fw_cfg has no {} ({}); ./warden run --firmware PATH passes one",
                     kFirmwareFile, error_name(file.error()));
            return 0;
        }
        const int64_t va = svc::dma_buffer(kChunk / kPageSize, &dma_phys);
        if (va <= 0) {
            svc::log("bios_loader: no DMA buffer: {}", error_name(static_cast<Error>(-va)));
            return 1;
        }
        dma = reinterpret_cast<uint8_t*>(va);
        fw = load_from_fw_cfg(*file);
    }
    if (!fw) {
        svc::log("bios_loader: firmware not loaded: {}; the guest stays down, the SVSM runs on",
                 error_name(fw.error()));
        return 1;
    }
    svc::log("bios_loader: {} KiB of firmware at {:#x}..{:#x} in {} ms", fw->flash.size / 1024, fw->flash.base.raw(),
             fw->flash.end().raw(), info.tsc_hz ? (svc::rdtsc() - t0) * 1000 / info.tsc_hz : 0);
    if (!prepare_guest(*fw)) return 1;

    sev::ResetState bsp{.rdx = info.cpu_signature, .sev_features = info.sev_features, .vmpl = info.guest_vmpl};
    vmsa = sev::make_vmsa_reset(bsp);
    svc::log("bios_loader: firmware ready ({} metadata sections, entry {:#x})", fw->section_count, fw->reset_vector);
    // The BSP's request loop starts serving at the Calling Area the secrets page names.
    const int64_t started =
        svc::syscall(Sys::kGuestStart, reinterpret_cast<uint64_t>(vmsa.data()), info.apic_ids[0], bsp_caa(*fw));
    if (started == -static_cast<int64_t>(Error::kUnsupported)) {
        svc::log("bios_loader: starting the guest's vCPU 0: unsupported on this platform (native has no lower VMPL)");
        return 0;
    }
    if (started < 0) {
        svc::log("bios_loader: starting the guest's vCPU 0: {}", error_name(static_cast<Error>(-started)));
        return 1;
    }
    svc::log("bios_loader: guest vCPU 0 started at VMPL{}", info.guest_vmpl);
    return 0;
}

}  // namespace

extern "C" int64_t service_main() { return run(); }
