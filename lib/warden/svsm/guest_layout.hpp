// Where a loader puts a guest image and what its entry contract asks for
// (guest_entry.hpp, docs/harness-guest.md) in guest RAM: the image at its
// load GPA, the loader's pages after it, validated together in 2 MiB pages,
// and the scratch RAM it asks for, never validated. Pure: the loader checks
// the plan before it validates or writes a byte.
#pragma once

#include <span>

#include "warden/addr.hpp"
#include "warden/svsm/guest_entry.hpp"

namespace warden::svsm::entry {

// The loader's page tables: a PML4, a PDPT and four PDs identity-mapping
// 0..4 GiB (every image ends below kMaxImageEnd) in 2 MiB pages.
inline constexpr uint64_t kLoaderTablePages = 6;

struct Layout {
    PhysRange validated;  // 2 MiB aligned: the image, then the loader's pages
    uint64_t tables = 0;  // kLoaderTablePages pages
    uint64_t secrets = 0, cpuid = 0;
    uint64_t boot_pages = 0;  // one page per vCPU
    uint64_t caas = 0;        // one Calling Area page per vCPU
    PhysRange scratch;        // 2 MiB aligned, header.scratch_size bytes
    uint32_t vcpus = 0;
    uint64_t boot_page(uint32_t i) const { return boot_pages + i * kPage; }
    uint64_t caa(uint32_t i) const { return caas + i * kPage; }
};

// The plan for a checked header, vcpus vCPUs, guest RAM ram: everything
// inside ram (kOutOfRange), clear of every range in avoid (kOverlap: SVSM
// memory, pages the kernel keeps for itself), vcpus 1..max_vcpus
// (kInvalidArgument). The scratch is the first 2 MiB-aligned range past the
// validated one that is clear of avoid.
Result<Layout> plan_layout(const ImageHeader& h, uint32_t vcpus, PhysRange ram, std::span<const PhysRange> avoid);

// Page `index` (0..kLoaderTablePages-1) of the loader's tables at `tables`:
// entries present, writable, accessed (leaves dirty too: the CPU never
// writes them) and private (c_bit, the encryption mask).
void loader_table_page(uint64_t tables, uint64_t c_bit, uint64_t index, std::span<uint64_t, 512> out);

}  // namespace warden::svsm::entry
