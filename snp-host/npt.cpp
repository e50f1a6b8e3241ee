// Nested page tables for one view per C-bit value (npt.hpp).
#include "npt.hpp"

#include "console.hpp"

namespace snp_host {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kMaxGuest = 4 * kGiB;
// APM vol. 2 15.25.5: nested entries as host page tables; P | RW | US, PS for 2 MiB.
constexpr uint64_t kTable = 0x7, kLeaf2M = 0x87;

alignas(4096) uint64_t npt_pml4[512];
alignas(4096) uint64_t npt_pdpt_shared[512];
alignas(4096) uint64_t npt_pdpt_private[512];
alignas(4096) uint64_t npt_pd[kMaxGuest / kGiB][512];

uint64_t addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

}  // namespace

uint64_t build_nested_tables(const GuestMemory& guest) {
    if (guest.size > kMaxGuest || (guest.size & ((2u << 20) - 1)))
        fail("guest memory: over 4 GiB or not 2 MiB aligned");
    for (uint64_t gib = 0; gib * kGiB < guest.size; ++gib) {
        for (uint64_t i = 0; i < 512; ++i) {
            const uint64_t gpa = gib * kGiB + (i << 21);
            npt_pd[gib][i] = gpa < guest.size ? (guest.hpa_base + gpa) | kLeaf2M : 0;
        }
        npt_pdpt_shared[gib] = addr(npt_pd[gib]) | kTable;
        npt_pdpt_private[gib] = addr(npt_pd[gib]) | kTable;  // the same pages: one memory, two views
    }
    npt_pml4[0] = addr(npt_pdpt_shared) | kTable;
    npt_pml4[(kCBitMask >> 39) & 511] = addr(npt_pdpt_private) | kTable;
    return addr(npt_pml4);
}

}  // namespace snp_host
