// Guest RAM from the loader's map minus SVSM memory (see guest_ram.hpp).
#include "warden/igvm/guest_ram.hpp"

namespace warden::igvm {
namespace {

constexpr uint64_t kPage = 4096;

// A range trimmed inwards to whole pages (empty if none is left).
PhysRange whole_pages(PhysAddr base, PhysAddr end) {
    const uint64_t b = base.raw() + (kPage - 1) < base.raw() ? ~uint64_t{0} : align_up(base.raw(), kPage);
    const uint64_t e = align_down(end.raw(), kPage);
    return e > b ? PhysRange{PhysAddr(b), e - b} : PhysRange{};
}

}  // namespace

Result<size_t> guest_ram(const MemoryMap& loader, PhysRange svsm, std::span<PhysRange> out) {
    if (svsm.size == 0 || svsm.base + svsm.size < svsm.base) return Fail(Error::kOutOfRange);
    bool svsm_in_ram = false, svsm_in_map = false;
    size_t n = 0;
    auto add = [&](PhysRange r) -> Result<void> {
        if (r.size == 0) return {};
        if (n == out.size()) return Fail(Error::kNoMemory);
        out[n++] = r;
        return {};
    };
    for (const MemoryRegion& region : loader.regions()) {
        svsm_in_map = svsm_in_map || region.range.overlaps(svsm);
        if (region.type != RegionType::kRam) continue;
        const PhysRange ram = region.range;
        if (ram.contains(svsm)) svsm_in_ram = true;
        if (!ram.overlaps(svsm)) {
            WARDEN_TRY_VOID(add(whole_pages(ram.base, ram.end())));
            continue;
        }
        if (svsm.base > ram.base) WARDEN_TRY_VOID(add(whole_pages(ram.base, svsm.base)));
        if (ram.end() > svsm.end()) WARDEN_TRY_VOID(add(whole_pages(svsm.end(), ram.end())));
    }
    // Wholly inside one RAM region, or outside everything the map lists
    // (the host backs it for the IGVM file alone, as QEMU does).
    if (svsm_in_map && !svsm_in_ram) return Fail(Error::kOutOfRange);
    if (n == 0) return Fail(Error::kNotFound);
    return n;
}

}  // namespace warden::igvm
