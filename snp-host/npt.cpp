// Nested page tables, VMPL0's view of the RMP (npt.hpp).
#include "npt.hpp"

#include "console.hpp"

namespace snp_host {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kMaxGuest = 4 * kGiB;
// APM vol. 2 15.25.5: nested entries as host page tables; P | RW | US, PS for 2 MiB.
constexpr uint64_t kTable = 0x7, kLeaf2M = 0x87;

uint64_t addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

}  // namespace

}  // namespace snp_host

namespace snp_host {
namespace {

constexpr uint64_t kPresentUserWrite = 0x7, kPresentUser = 0x5, kNx = uint64_t{1} << 63;

struct RmpTables {
    uint64_t* pml4 = nullptr;
    uint64_t* pdpt[2] = {};  // 0 shared, 1 private
    uint64_t* pd[2] = {};    // 4 GiB at most: 4 pages each
    uint64_t* pt[2] = {};    // one page per 2 MiB
    GuestMemory guest;
    RightsFn rights = nullptr;
    void* context = nullptr;
} tables;

uint64_t leaf(uint64_t spa, const LeafRights& r) {
    if (!r.present) return 0;
    return spa | (r.writable ? kPresentUserWrite : kPresentUser) | (r.executable ? 0 : kNx);
}

}  // namespace

uint64_t build_rmp_nested_tables(const GuestMemory& guest, RightsFn rights, void* context) {
    const uint64_t pts = guest.size / (2u << 20);
    const uint64_t pages = 1 + 2 * (1 + 4 + pts);
    if (pages * 4096 > kRmpNptStorageBytes || guest.size > kMaxGuest) fail("RMP nested tables: guest too large");
    auto* mem = reinterpret_cast<uint64_t*>(kRmpNptStorage);
    for (uint64_t i = 0; i < pages * 512; ++i) mem[i] = 0;
    uint64_t next = 0;
    auto page = [&]() { return mem + 512 * next++; };
    tables = RmpTables{};
    tables.guest = guest, tables.rights = rights, tables.context = context;
    tables.pml4 = page();
    for (int alias = 0; alias < 2; ++alias) {
        tables.pdpt[alias] = page();
        tables.pd[alias] = page();
        next += 3;  // four PD pages in a row
        tables.pt[alias] = mem + 512 * next;
        next += pts;
        for (uint64_t gib = 0; gib * kGiB < guest.size; ++gib)
            tables.pdpt[alias][gib] = addr(tables.pd[alias] + 512 * gib) | kTable;
        for (uint64_t i = 0; i < pts; ++i) tables.pd[alias][i] = addr(tables.pt[alias] + 512 * i) | kTable;
    }
    tables.pml4[0] = addr(tables.pdpt[0]) | kTable;
    tables.pml4[(kCBitMask >> 39) & 511] = addr(tables.pdpt[1]) | kTable;
    npt_refresh(0, guest.size);
    return addr(tables.pml4);
}

void npt_refresh(uint64_t gpa, uint64_t bytes) {
    if (!tables.pml4) return;
    gpa &= ~uint64_t{4095};
    for (uint64_t g = gpa; g < gpa + bytes && g < tables.guest.size; g += 4096) {
        const PageRights r = tables.rights(tables.context, g);
        const uint64_t spa = tables.guest.hpa_base + g;
        __atomic_store_n(&tables.pt[0][g / 4096], leaf(spa, r.shared_alias), __ATOMIC_RELEASE);
        __atomic_store_n(&tables.pt[1][g / 4096], leaf(spa, r.private_alias), __ATOMIC_RELEASE);
    }
}

}  // namespace snp_host
