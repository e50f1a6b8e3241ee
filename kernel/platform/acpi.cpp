// ACPI table discovery (ACPI 6.5 5.2.5.1 for where the RSDP may be).
#include "platform/acpi.hpp"

#include "arch/x86_64/apic.hpp"
#include "log.hpp"
#include "mm/phys_copy.hpp"

namespace warden::platform {
namespace {

constexpr uint64_t kBiosAreaStart = 0xe0000, kBiosAreaEnd = 0x100000;
constexpr uint64_t kEbdaPointer = 0x40e;  // real-mode segment of the EBDA
constexpr size_t kMaxMadt = 8192;

// Scans [base, base + size) in chunks for the RSDP; its physical address.
Result<uint64_t> scan_for_rsdp(uint64_t base, uint64_t size) {
    constexpr size_t kChunk = 4096, kOverlap = 64;
    uint8_t buf[kChunk + kOverlap];
    for (uint64_t at = base; at < base + size; at += kChunk) {
        const size_t n = static_cast<size_t>(base + size - at < sizeof buf ? base + size - at : sizeof buf);
        WARDEN_TRY_VOID(mm::copy_from_phys(PhysAddr(at), std::span<uint8_t>(buf, n)));
        if (auto off = acpi::find_rsdp(std::span<const uint8_t>(buf, n))) return at + *off;
    }
    return Fail(Error::kNotFound);
}

Result<uint64_t> locate_rsdp(const boot::BootInfo& info) {
    if (info.rsdp != 0) return info.rsdp;
    uint8_t seg[2];
    WARDEN_TRY_VOID(mm::copy_from_phys(PhysAddr(kEbdaPointer), seg));
    const uint64_t ebda = uint64_t{static_cast<uint16_t>(seg[0] | (seg[1] << 8))} << 4;
    if (ebda >= 0x80000 && ebda < 0xa0000) {
        if (auto r = scan_for_rsdp(ebda, 1024)) return r;
    }
    return scan_for_rsdp(kBiosAreaStart, kBiosAreaEnd - kBiosAreaStart);
}

// Copies a whole table (header first, to learn its length) into out.
Result<std::span<const uint8_t>> copy_table(uint64_t phys, std::span<uint8_t> out) {
    if (out.size() < acpi::kHeaderSize) return Fail(Error::kNoMemory);
    WARDEN_TRY_VOID(mm::copy_from_phys(PhysAddr(phys), out.first(acpi::kHeaderSize)));
    const uint32_t length = static_cast<uint32_t>(out[4] | (out[5] << 8) | (out[6] << 16) | (uint32_t{out[7]} << 24));
    if (length < acpi::kHeaderSize || length > out.size()) return Fail(Error::kOutOfRange);
    WARDEN_TRY_VOID(mm::copy_from_phys(PhysAddr(phys), out.first(length)));
    return std::span<const uint8_t>(out.first(length));
}

}  // namespace

Result<acpi::Madt> read_madt(const boot::BootInfo& info) {
    WARDEN_TRY(rsdp_at, locate_rsdp(info));
    uint8_t rsdp_bytes[acpi::kRsdpV2Size];
    WARDEN_TRY_VOID(mm::copy_from_phys(PhysAddr(rsdp_at), rsdp_bytes));
    WARDEN_TRY(rsdp, acpi::parse_rsdp(rsdp_bytes));

    static uint8_t table[kMaxMadt];  // boot-time, BSP only
    const bool use_xsdt = rsdp.revision >= 2 && rsdp.xsdt != 0;
    WARDEN_TRY(root_bytes, copy_table(use_xsdt ? rsdp.xsdt : rsdp.rsdt, table));
    WARDEN_TRY(root, acpi::parse_root_table(root_bytes, use_xsdt));
    for (size_t i = 0; i < root.count; ++i) {
        uint8_t sig[4];
        WARDEN_TRY_VOID(mm::copy_from_phys(PhysAddr(root.address[i]), sig));
        if (sig[0] != 'A' || sig[1] != 'P' || sig[2] != 'I' || sig[3] != 'C') continue;
        WARDEN_TRY(madt_bytes, copy_table(root.address[i], table));
        return acpi::parse_madt(madt_bytes);
    }
    return Fail(Error::kNotFound);
}

Result<size_t> list_cpus(const boot::BootInfo& info, std::span<uint32_t> ids) {
    if (info.kind == boot::BootKind::kIgvm) {
        const size_t n = info.vp_count < ids.size() ? info.vp_count : ids.size();
        for (size_t i = 0; i < n; ++i) ids[i] = static_cast<uint32_t>(i);
        log::info("smp: the loader gives {} vCPUs", info.vp_count);
        return n;
    }
    WARDEN_TRY(madt, read_madt(info));
    size_t n = 0;
    for (size_t i = 0; i < madt.cpu_count && n < ids.size(); ++i) {
        if (madt.cpus[i].enabled) ids[n++] = madt.cpus[i].apic_id;
    }
    log::info("smp: MADT lists {} enabled CPUs; APIC in {} mode", n,
              arch::apic::mode() == arch::apic::Mode::kX2Apic ? "x2APIC" : "xAPIC");
    return n;
}

}  // namespace warden::platform
