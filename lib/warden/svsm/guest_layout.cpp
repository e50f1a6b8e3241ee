// The guest image's placement in guest RAM (guest_layout.hpp).
#include "warden/svsm/guest_layout.hpp"

namespace warden::svsm::entry {

namespace {

constexpr uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

bool clear_of(PhysRange r, std::span<const PhysRange> avoid) {
    for (const PhysRange& a : avoid) {
        if (r.overlaps(a)) return false;
    }
    return true;
}

}  // namespace

Result<Layout> plan_layout(const ImageHeader& h, uint32_t vcpus, PhysRange ram, std::span<const PhysRange> avoid) {
    if (vcpus == 0 || vcpus > h.max_vcpus) return Fail(Error::kInvalidArgument);
    // The header is checked: the image ends below 4 GiB, so none of this wraps.
    Layout l{.vcpus = vcpus};
    l.tables = align_up(h.end(), kPage);
    l.secrets = l.tables + kLoaderTablePages * kPage;
    l.cpuid = l.secrets + kPage;
    l.boot_pages = l.cpuid + kPage;
    l.caas = l.boot_pages + vcpus * kPage;
    const uint64_t first = h.load_gpa & ~(kLargePage - 1);
    l.validated = PhysRange{PhysAddr(first), align_up(l.caas + vcpus * kPage, kLargePage) - first};
    if (!ram.contains(l.validated)) return Fail(Error::kOutOfRange);
    if (!clear_of(l.validated, avoid)) return Fail(Error::kOverlap);
    // The scratch: past the validated range, moved past anything to avoid.
    PhysRange s{l.validated.end(), h.scratch_size};
    for (bool moved = true; moved && h.scratch_size != 0;) {
        moved = false;
        for (const PhysRange& a : avoid) {
            if (s.overlaps(a)) {
                s.base = PhysAddr(align_up(a.end().raw(), kLargePage));
                moved = true;
            }
        }
        if (!ram.contains(s)) return Fail(Error::kOutOfRange);
    }
    if (!ram.contains(s)) return Fail(Error::kOutOfRange);
    l.scratch = s;
    return l;
}

void loader_table_page(uint64_t tables, uint64_t c_bit, uint64_t index, std::span<uint64_t, 512> out) {
    // AMD APM vol. 2 5.3: P | RW | A on tables, | D | PS on 2 MiB leaves.
    constexpr uint64_t kTable = 0x23, kLeaf2M = 0xe3;
    for (uint64_t i = 0; i < 512; ++i) out[i] = 0;
    if (index == 0) {
        out[0] = (tables + kPage) | c_bit | kTable;
    } else if (index == 1) {
        for (uint64_t g = 0; g < 4; ++g) out[g] = (tables + (2 + g) * kPage) | c_bit | kTable;
    } else if (index < kLoaderTablePages) {
        const uint64_t gib = (index - 2) << 30;
        for (uint64_t i = 0; i < 512; ++i) out[i] = (gib | (i << 21)) | c_bit | kLeaf2M;
    }
}

}  // namespace warden::svsm::entry
