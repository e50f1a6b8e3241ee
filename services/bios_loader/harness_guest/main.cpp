// The harness guest's loader (-Dbios_loader=harness_guest): finds a guest
// image (guest/harness, lib/warden/svsm/guest_entry.hpp) in fw_cfg, copies
// it whole into private memory, checks its header and its placement in
// guest RAM, and then does what the entry contract asks (docs/harness-guest.md):
// validates the image's memory and the loader's pages, copies the image,
// places the secrets and CPUID pages (the kernel makes them), the page
// tables, a boot page and a Calling Area per vCPU, and starts every vCPU at
// the guest's VMPL with kGuestStart. Each CPU's request loop then serves it.
//
// Bad input ends the loader with one line; the SVSM serves on.
#include <cstring>

#include "../loader_calls.hpp"
#include "service.hpp"
#include "warden/abi/fw_cfg_service.hpp"
#include "warden/sev/vmsa.hpp"
#include "warden/svsm/core.hpp"
#include "warden/svsm/guest_layout.hpp"

// On CPU 0, the guest BSP's.
WARDEN_SERVICE_MANIFEST(.name = "harness_loader", .serves = "", .uses = {"fw_cfg"}, .ports = {}, .cpu = 0,
                        .flags = warden::abi::kManifestSvsm);

namespace {

using namespace warden;
using abi::Sys;
namespace proto = abi::fw_cfg_service;
using loader::FwCfgFile;
using loader::guest_write;
using loader::look_up;
using loader::syscall_result;
namespace entry = svsm::entry;

constexpr char kImageFile[] = "opt/warden/guest";
constexpr uint64_t kChunk = proto::kMaxDmaRead;  // one fw_cfg DMA read, one guest write
static_assert(kChunk <= abi::kMaxGuestCopy);
// The file is held whole in private memory, so what is checked is what the
// guest gets (under SNP the DMA buffer is shared: the host could change it).
constexpr uint64_t kMaxFile = 1 << 20;

abi::GuestInfo info;
uint8_t file[kMaxFile];
alignas(8) uint8_t page[kPageSize];
std::array<uint8_t, sev::kVmsaSize> vmsa;
uint8_t* dma = nullptr;
uint64_t dma_phys = 0;

// The whole file into `file`, chunk by chunk through the DMA buffer.
Result<void> read_file(const FwCfgFile& f) {
    for (uint64_t off = 0; off < f.size; off += kChunk) {
        const uint64_t n = f.size - off < kChunk ? f.size - off : kChunk;
        WARDEN_TRY_VOID(loader::read_chunk(f, off, n, dma_phys));
        std::memcpy(file + off, dma, n);
    }
    return {};
}

// Validated for the guest (zeroed by the kernel), in 2 MiB pages: the range is 2 MiB aligned.
Result<void> validate(PhysRange r) {
    for (uint64_t at = 0; at < r.size; at += kLargePageSize) {
        const int64_t v = svc::syscall(Sys::kGuestPvalidate, (r.base + at).raw(), 1, 1);
        if (v < 0) return Fail(static_cast<Error>(-v));
        // Validated now or already; anything else (a 2 MiB page split into
        // 4 KiB entries: size mismatch) leaves the range not validated.
        if (v != static_cast<int64_t>(svsm::PvalidateOutcome::kChanged) &&
            v != static_cast<int64_t>(svsm::PvalidateOutcome::kUnchanged))
            return Fail(Error::kInvalidArgument);
    }
    return {};
}

// What the kernel keeps from the guest's RAM for itself: SVSM memory (not
// guest memory anyway) and the 2 MiB holding its initial Calling Areas.
Result<entry::Layout> plan(const entry::ImageHeader& h, uint32_t vcpus) {
    const PhysRange avoid[] = {
        PhysRange{PhysAddr(info.svsm_base), info.svsm_size},
        PhysRange{PhysAddr(info.harness_base & ~(kLargePageSize - 1)), kLargePageSize},
    };
    return entry::plan_layout(h, vcpus, PhysRange{PhysAddr(info.memory_base), info.memory_size}, avoid);
}

// The image, the loader's tables, the secrets and CPUID pages, and each
// vCPU's boot page; the Calling Areas are validated, zeroed pages.
Result<void> place(const entry::ImageHeader& h, const entry::Layout& l, bool& cpuid) {
    WARDEN_TRY_VOID(validate(l.validated));
    for (uint64_t off = 0; off < h.file_size; off += kChunk) {
        const uint64_t n = h.file_size - off < kChunk ? h.file_size - off : kChunk;
        WARDEN_TRY_VOID(guest_write(h.load_gpa + off, file + off, n));
    }
    for (uint64_t i = 0; i < entry::kLoaderTablePages; ++i) {
        entry::loader_table_page(l.tables, info.encryption_mask, i,
                                 std::span<uint64_t, 512>(reinterpret_cast<uint64_t*>(page), 512));
        WARDEN_TRY_VOID(guest_write(l.tables + i * kPageSize, page, kPageSize));
    }
    WARDEN_TRY_VOID(syscall_result(svc::syscall(Sys::kGuestSecrets, l.secrets, l.caa(0))));
    const int64_t c = svc::syscall(Sys::kGuestCpuid, l.cpuid);
    if (c < 0 && c != -static_cast<int64_t>(Error::kNotFound)) return Fail(static_cast<Error>(-c));
    cpuid = c == 0;  // none (native): the image asks the MSR protocol
    for (uint32_t i = 0; i < l.vcpus; ++i) {
        entry::write_boot_page(entry::BootPage{.vcpu_index = i,
                                               .apic_id = info.apic_ids[i],
                                               .vcpu_count = l.vcpus,
                                               .secrets_gpa = l.secrets,
                                               .cpuid_gpa = cpuid ? l.cpuid : 0,
                                               .caa_gpa = l.caa(i),
                                               .ram_end = info.memory_base + info.memory_size,
                                               .scratch_gpa = l.scratch.base.raw(),
                                               .scratch_size = l.scratch.size},
                               std::span<uint8_t, kPageSize>(page));
        WARDEN_TRY_VOID(guest_write(l.boot_page(i), page, kPageSize));
    }
    return {};
}

// Every vCPU from its own VMSA: 64-bit mode at the entry, RDI its boot page.
Result<void> start(const entry::ImageHeader& h, const entry::Layout& l) {
    for (uint32_t i = 0; i < l.vcpus; ++i) {
        vmsa = sev::make_vmsa_long_mode(sev::LongModeState{.rip = h.entry,
                                                           .rsp = 0,
                                                           .rdi = l.boot_page(i),
                                                           .cr3 = l.tables | info.encryption_mask,
                                                           .sev_features = info.sev_features,
                                                           .vmpl = info.guest_vmpl});
        const int64_t r =
            svc::syscall(Sys::kGuestStart, reinterpret_cast<uint64_t>(vmsa.data()), info.apic_ids[i], l.caa(i));
        if (r < 0) {
            svc::log("harness_loader: starting the guest's vCPU {} (APIC ID {}): {}", i, info.apic_ids[i],
                     error_name(static_cast<Error>(-r)));
            return Fail(static_cast<Error>(-r));
        }
    }
    return {};
}

// The file checked and placed; false (with its line said) when refused.
bool load(uint64_t size) {
    auto h = entry::parse_image_header(std::span<const uint8_t>(file, size));
    if (!h) {
        svc::log("harness_loader: {} is not a guest image: {} (lib/warden/svsm/guest_entry.hpp); refused", kImageFile,
                 error_name(h.error()));
        return false;
    }
    const uint32_t vcpus = info.cpu_count < h->max_vcpus ? info.cpu_count : h->max_vcpus;
    if (vcpus < info.cpu_count) {
        svc::log("harness_loader: the image has room for {} vCPUs of {}: the others stay down", h->max_vcpus,
                 info.cpu_count);
    }
    auto l = plan(*h, vcpus);
    if (!l) {
        svc::log(
            "harness_loader: the image at {:#x}..{:#x} and its pages do not fit guest RAM {:#x}..{:#x}{}: {}; "
            "refused",
            h->load_gpa, h->end(), info.memory_base, info.memory_base + info.memory_size,
            l.error() == Error::kOverlap ? " clear of SVSM memory and the kernel's Calling Areas" : "",
            error_name(l.error()));
        return false;
    }
    bool cpuid = false;
    if (auto r = place(*h, *l, cpuid); !r) {
        svc::log("harness_loader: preparing guest memory: {}; refused", error_name(r.error()));
        return false;
    }
    svc::log(
        "harness_loader: image {} bytes at {:#x} ({} KiB in memory), entry {:#x}; {:#x}..{:#x} validated; "
        "secrets {:#x}, CPUID {:#x}, scratch {:#x}+{:#x}",
        h->file_size, h->load_gpa, h->memory_size / 1024, h->entry, l->validated.base.raw(), l->validated.end().raw(),
        l->secrets, cpuid ? l->cpuid : 0, l->scratch.base.raw(), l->scratch.size);
    if (!start(*h, *l)) return false;
    svc::log("harness_loader: {} vCPU(s) started at VMPL{}; each CPU's request loop serves its own", vcpus,
             info.guest_vmpl);
    return true;
}

int64_t run() {
    if (svc::syscall(Sys::kGuestInfo, reinterpret_cast<uint64_t>(&info)) < 0 || info.memory_size == 0) {
        svc::log("harness_loader: no guest memory on this platform: nothing to load");
        return 1;
    }
    if (!info.runs_guest) {
        svc::log("harness_loader: the kernel does not run the guest here (native: tasks play it): nothing to load");
        return 0;
    }
    auto f = look_up(kImageFile);
    if (!f) {
        svc::log("harness_loader: no guest image: fw_cfg has no {} ({})", kImageFile, error_name(f.error()));
        return 0;
    }
    if (f->size == 0 || f->size > kMaxFile) {
        svc::log("harness_loader: {} is {} bytes: it must be 1..{} KiB; refused", kImageFile, f->size, kMaxFile / 1024);
        return 1;
    }
    const int64_t va = svc::dma_buffer(kChunk / kPageSize, &dma_phys);
    if (va <= 0) {
        svc::log("harness_loader: no DMA buffer: {}", error_name(static_cast<Error>(-va)));
        return 1;
    }
    dma = reinterpret_cast<uint8_t*>(va);
    if (auto r = read_file(*f); !r) {
        svc::log("harness_loader: reading {}: {}; refused", kImageFile, error_name(r.error()));
        return 1;
    }
    return load(f->size) ? 0 : 1;
}

}  // namespace

extern "C" int64_t service_main() { return run(); }
