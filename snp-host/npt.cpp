// Nested page tables, one view of the RMP per VMPL (npt.hpp).
#include "npt.hpp"

#include "console.hpp"

namespace snp_host {
namespace {

constexpr uint64_t k2M = uint64_t{2} << 20, kGiB = uint64_t{1} << 30;
constexpr uint64_t kMaxGuest = 4 * kGiB;  // one PDPT page per alias: four PD pages
constexpr uint64_t kViewBytes = kRmpNptStorageBytes / kVmpls;
// APM vol. 2 15.25.5: nested entries as host page tables; P | RW | US, and NX.
constexpr uint64_t kTable = 0x7, kPresentUserWrite = 0x7, kPresentUser = 0x5, kNx = uint64_t{1} << 63;

uint64_t addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

// A view's pages: PML4, then per alias (0 shared, 1 private) a PDPT, four
// PDs and one PT per 2 MiB of guest memory.
uint64_t view_pages(uint64_t guest_bytes) { return 1 + 2 * (1 + 4 + guest_bytes / k2M); }

struct View {
    uint64_t* pml4 = nullptr;
    uint64_t* pt[2] = {};  // 0 shared, 1 private
};

struct Tables {
    GuestMemory guest;
    RightsFn rights = nullptr;
    void* context = nullptr;
    View views[kVmpls];
} tables;

uint64_t leaf(uint64_t spa, const LeafRights& r) {
    if (!r.present) return 0;
    return spa | (r.writable ? kPresentUserWrite : kPresentUser) | (r.executable ? 0 : kNx);
}

void refresh_view(unsigned vmpl, uint64_t gpa, uint64_t end) {
    View& view = tables.views[vmpl];
    for (uint64_t g = gpa; g < end; g += 4096) {
        const PageRights r = tables.rights(tables.context, vmpl, g);
        const uint64_t spa = tables.guest.hpa_base + g;
        __atomic_store_n(&view.pt[0][g / 4096], leaf(spa, r.shared_alias), __ATOMIC_RELEASE);
        __atomic_store_n(&view.pt[1][g / 4096], leaf(spa, r.private_alias), __ATOMIC_RELEASE);
    }
}

void build_view(unsigned vmpl) {
    const uint64_t pts = tables.guest.size / k2M;
    auto* mem = reinterpret_cast<uint64_t*>(kRmpNptStorage + vmpl * kViewBytes);
    for (uint64_t i = 0; i < view_pages(tables.guest.size) * 512; ++i) mem[i] = 0;
    uint64_t next = 0;
    auto page = [&]() { return mem + 512 * next++; };
    View view;
    view.pml4 = page();
    for (int alias = 0; alias < 2; ++alias) {
        uint64_t* pdpt = page();
        uint64_t* pd = page();
        next += 3;  // four PD pages in a row
        view.pt[alias] = mem + 512 * next;
        next += pts;
        for (uint64_t gib = 0; gib * kGiB < tables.guest.size; ++gib) pdpt[gib] = addr(pd + 512 * gib) | kTable;
        for (uint64_t i = 0; i < pts; ++i) pd[i] = addr(view.pt[alias] + 512 * i) | kTable;
        view.pml4[alias ? (kCBitMask >> 39) & 511 : 0] = addr(pdpt) | kTable;
    }
    tables.views[vmpl] = view;
    refresh_view(vmpl, 0, tables.guest.size);
}

}  // namespace

uint64_t npt_max_guest_bytes() {
    uint64_t bytes = kMaxGuest;
    while (view_pages(bytes) * 4096 > kViewBytes) bytes -= 64 * k2M;
    return bytes;
}

void npt_init(const GuestMemory& guest, RightsFn rights, void* context) {
    if (guest.size > npt_max_guest_bytes()) fail("nested tables: guest memory larger than the views' storage");
    tables = Tables{};
    tables.guest = guest, tables.rights = rights, tables.context = context;
    build_view(0);
}

uint64_t npt_root(unsigned vmpl) {
    if (vmpl >= kVmpls) fail("nested tables: no such VMPL");
    if (!tables.views[vmpl].pml4) build_view(vmpl);  // no line: the RMP lock is held
    return addr(tables.views[vmpl].pml4);
}

void npt_refresh(uint64_t gpa, uint64_t bytes) {
    gpa &= ~uint64_t{4095};
    const uint64_t end = gpa + bytes < tables.guest.size ? gpa + bytes : tables.guest.size;
    for (unsigned vmpl = 0; vmpl < kVmpls; ++vmpl)
        if (tables.views[vmpl].pml4) refresh_view(vmpl, gpa, end);
}

}  // namespace snp_host
