// The boot memory map: what the hypervisor or firmware says about physical
// memory (PVH start_info memmap, fw_cfg etc/e820), after validation. Regions are
// kept sorted, and no RAM region overlaps any other region.
#pragma once

#include <array>
#include <span>

#include "warden/addr.hpp"
#include "warden/result.hpp"

namespace warden {

// E820 / PVH memmap types (ACPI 6.5 table 15.312; Xen public/arch-x86/hvm/start_info.h
// XEN_HVM_MEMMAP_TYPE_*, which uses the same numbers).
enum class RegionType : uint32_t {
    kRam = 1,
    kReserved = 2,
    kAcpiReclaimable = 3,
    kAcpiNvs = 4,
    kUnusable = 5,
    kDisabled = 6,
    kPersistent = 7,
};

constexpr const char* region_type_name(RegionType t) {
    switch (t) {
    case RegionType::kRam: return "ram";
    case RegionType::kReserved: return "reserved";
    case RegionType::kAcpiReclaimable: return "acpi";
    case RegionType::kAcpiNvs: return "acpi-nvs";
    case RegionType::kUnusable: return "unusable";
    case RegionType::kDisabled: return "disabled";
    case RegionType::kPersistent: return "persistent";
    }
    return "unknown";
}

struct MemoryRegion {
    PhysRange range;
    RegionType type = RegionType::kReserved;
};

class MemoryMap {
public:
    // More entries than any QEMU or firmware map seen; beyond it input is refused.
    static constexpr size_t kMaxRegions = 128;

    // Adds a region, keeping the map sorted. Zero-sized regions are dropped;
    // wrapping ranges, a full map and RAM overlapping anything are refused.
    Result<void> add(PhysAddr base, uint64_t size, RegionType type);

    std::span<const MemoryRegion> regions() const { return {regions_.data(), count_}; }
    size_t size() const { return count_; }
    // Bytes of RAM in [from, top of memory).
    uint64_t ram_bytes(PhysAddr from = PhysAddr(0)) const;
    // Bytes of RAM inside r.
    uint64_t ram_bytes_in(PhysRange r) const;
    bool is_ram(PhysRange r) const;

private:
    std::array<MemoryRegion, kMaxRegions> regions_{};
    size_t count_ = 0;
};

// `count` entries of {u64 base, u64 length, u32 type} every `stride` bytes,
// little endian: the PVH memmap (24) and QEMU's etc/e820 (20). map is
// written only when every entry checks out; a type the spec does not define
// becomes reserved, never RAM. kTruncated if bytes cannot hold them, and
// MemoryMap::add's errors.
Result<void> parse_region_entries(std::span<const uint8_t> bytes, size_t stride, size_t count, MemoryMap& map);

}  // namespace warden
