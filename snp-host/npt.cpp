// Nested page tables, one view of the RMP per VMPL (npt.hpp).
#include "npt.hpp"

#include <cstring>

#include "console.hpp"
#include "cpu.hpp"

namespace snp_host {
namespace {

constexpr uint64_t k2M = uint64_t{2} << 20, kGiB = uint64_t{1} << 30;
constexpr uint64_t kMaxGuest = 4 * kGiB;  // one PDPT page per alias: four PD pages
constexpr uint64_t kViewBytes = kRmpNptStorageBytes / kVmpls;
// APM vol. 2 15.25.5: nested entries as host page tables; P | RW | US, and NX.
constexpr uint64_t kTable = 0x7, kPresentUserWrite = 0x7, kPresentUser = 0x5, kNx = uint64_t{1} << 63;

uint64_t addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

// A view's pages: PML4 and the unpaged root, then per alias (0 shared, 1
// private) a PDPT, four PDs for the low 4 GiB, a PDPT and a PD for the IGVM
// memory (guest_memory.hpp: one 1 GiB-aligned GiB), and one PT per 2 MiB of
// host pages (RAM, the flash's capacity, the IGVM memory), in the host
// pages' order: the leaf of a guest page is slot (hpa - hpa_base) / 4 KiB of
// the alias's PTs.
uint64_t view_pages(uint64_t host_bytes) { return 2 + 2 * (1 + 4 + 2 + host_bytes / k2M); }

struct View {
    uint64_t* pml4 = nullptr;
    uint64_t* unpaged = nullptr;  // a PML4 whose both halves are the private alias
    uint64_t* pt[2] = {};         // 0 shared, 1 private
};

struct Tables {
    GuestMemory guest;
    RightsFn rights = nullptr;
    void* context = nullptr;
    View views[kVmpls];
} tables;

// What a shared (C-bit clear) read of a page the hypervisor does not own
// returns: on hardware the page's ciphertext under the guest's key (APM vol.
// 2 15.34.4, 15.36.10 Table 15-39: a shared read is not refused), here one
// host page of random bytes, the same for every such page, read-only and NX.
// So a guest never reads its private plaintext through the shared alias.
alignas(4096) uint8_t ciphertext_page[4096];

// RDRAND (CPUID 1 ECX[30]) when the CPU has it (TCG does), else a fixed
// pattern; one line says which.
void fill_ciphertext_page() {
    const bool rdrand = (cpu::cpuid(1).ecx >> 30) & 1;
    uint64_t x = 0x9e3779b97f4a7c15;  // the fallback: a fixed, non-zero pattern
    bool random = rdrand;
    for (size_t i = 0; i < sizeof ciphertext_page; i += 8) {
        uint64_t v = 0;
        bool got = false;
        for (int tries = 0; random && !got && tries < 16; ++tries) got = cpu::rdrand64(v);
        random = random && got;
        if (!got) v = x += 0x9e3779b97f4a7c15;
        std::memcpy(ciphertext_page + i, &v, 8);
    }
    log("nested tables: shared reads of pages the hypervisor does not own read {}",
        random ? "a page of RDRAND bytes" : "a fixed pattern (no RDRAND)");
}

// The shared alias of a page the hypervisor does not own, per host page:
// not present until its first access, then what that access needs. A data
// read gets the "ciphertext" page; a guest page-table walk (#NPF EXITINFO1
// bit 33) gets the page itself with the view's private rights (its VMPL's,
// NX), because a walk is private whatever the C-bit of the pointer that
// led to the table (APM vol. 2 15.34.5), and OVMF's table pointers and CR3
// carry none. A page walked once stays so while it is private
// (docs/snp-host.md, "Page walks").
enum class SharedUse : uint8_t { kUnused, kData, kWalk };
SharedUse shared_use[kMaxGuest / 4096];

uint64_t leaf(uint64_t spa, const LeafRights& r) {
    if (!r.present) return 0;
    return spa | (r.writable ? kPresentUserWrite : kPresentUser) | (r.executable ? 0 : kNx);
}

// Only guest memory is mapped: the flash's capacity the launch left empty
// stays not present (MMIO, guest_memory.hpp).
void refresh_view(unsigned vmpl, uint64_t gpa, uint64_t end) {
    View& view = tables.views[vmpl];
    for (uint64_t g = gpa; g < end; g += 4096) {
        if (!tables.guest.contains(g, 4096)) continue;
        const PageRights r = tables.rights(tables.context, vmpl, g);
        const uint64_t spa = tables.guest.hpa(g);
        const uint64_t slot = (spa - tables.guest.hpa_base) / 4096;
        // The shared alias is writable exactly when the hypervisor owns the
        // page (npt_view); otherwise it is what its first use asked (shared_use).
        LeafRights shared = r.shared_alias;
        uint64_t shared_spa = spa;
        if (shared.writable) {
            shared_use[slot] = SharedUse::kUnused;
        } else if (shared.present) {
            const SharedUse use = shared_use[slot];
            // A walk is a private access (APM vol. 2 15.34.5): the walked
            // page's shared leaf has this VMPL's private rights, never more
            // (a walk from VMPL2 must not open VMPL0's pages, a VMSA or the
            // read-only flash to every VMPL's shared alias).
            if (use == SharedUse::kWalk) shared = r.private_alias;
            shared.present = shared.present && use != SharedUse::kUnused;
            shared.writable = shared.writable && use == SharedUse::kWalk;
            shared.executable = false;
            if (use == SharedUse::kData) shared_spa = addr(ciphertext_page);
        }
        __atomic_store_n(&view.pt[0][slot], leaf(shared_spa, shared), __ATOMIC_RELEASE);
        __atomic_store_n(&view.pt[1][slot], leaf(spa, r.private_alias), __ATOMIC_RELEASE);
    }
}

uint64_t host_bytes(const GuestMemory& g) { return g.size + g.flash_capacity + g.igvm_size; }

void build_view(unsigned vmpl) {
    const GuestMemory& g = tables.guest;
    const uint64_t ram_pts = g.size / k2M, flash_pts = g.flash_capacity / k2M, igvm_pts = g.igvm_size / k2M;
    auto* mem = reinterpret_cast<uint64_t*>(kRmpNptStorage + vmpl * kViewBytes);
    for (uint64_t i = 0; i < view_pages(host_bytes(g)) * 512; ++i) mem[i] = 0;
    uint64_t next = 0;
    auto page = [&]() { return mem + 512 * next++; };
    auto index = [](uint64_t gpa, unsigned level) { return (gpa >> (12 + 9 * level)) & 511; };
    View view;
    view.pml4 = page();
    view.unpaged = page();
    for (uint64_t alias = 0; alias < 2; ++alias) {
        const uint64_t c_bit = alias ? kCBitMask : 0;
        uint64_t* pdpt = page();
        uint64_t* pd = page();
        next += 3;  // four PD pages in a row
        uint64_t* igvm_pdpt = page();
        uint64_t* igvm_pd = page();
        view.pt[alias] = mem + 512 * next;
        next += ram_pts + flash_pts + igvm_pts;
        auto pt = [&](uint64_t i) { return addr(view.pt[alias] + 512 * i) | kTable; };
        for (uint64_t gib = 0; gib < 4; ++gib) pdpt[gib] = addr(pd + 512 * gib) | kTable;
        // The four PDs in a row index 4 GiB by 2 MiB: RAM from 0, the flash's capacity below 4 GiB.
        for (uint64_t i = 0; i < ram_pts; ++i) pd[i] = pt(i);
        const uint64_t flash_pd = (GuestMemory::kFlashEnd - g.flash_capacity) / k2M;
        for (uint64_t i = 0; i < flash_pts; ++i) pd[flash_pd + i] = pt(ram_pts + i);
        view.pml4[index(c_bit, 3)] = addr(pdpt) | kTable;
        if (igvm_pts != 0) {
            // Its own PD; its own PDPT too unless it shares the low 512 GiB's.
            const uint64_t base = g.igvm_base | c_bit;
            uint64_t* up = index(base, 3) == index(c_bit, 3) ? pdpt : igvm_pdpt;
            up[index(base, 2)] = addr(igvm_pd) | kTable;
            for (uint64_t i = 0; i < igvm_pts; ++i) igvm_pd[index(base, 1) + i] = pt(ram_pts + flash_pts + i);
            view.pml4[index(base, 3)] = addr(up) | kTable;
        }
    }
    // Unpaged: every access private, so both halves are the private alias.
    for (uint64_t i = 0; i < 256; ++i) view.unpaged[i] = view.unpaged[256 + i] = view.pml4[256 + i];
    tables.views[vmpl] = view;
    refresh_view(vmpl, 0, g.size);
    refresh_view(vmpl, g.flash_base(), GuestMemory::kFlashEnd);
    refresh_view(vmpl, g.igvm_base, g.igvm_base + g.igvm_size);
}

}  // namespace

uint64_t npt_max_guest_bytes(uint64_t other_bytes) {
    uint64_t bytes = kMaxGuest - other_bytes;
    while (view_pages(bytes + other_bytes) * 4096 > kViewBytes) bytes -= 64 * k2M;
    return bytes;
}

void npt_init(const GuestMemory& guest, RightsFn rights, void* context) {
    if (guest.size > npt_max_guest_bytes(guest.flash_capacity + guest.igvm_size) || guest.flash_capacity % k2M != 0)
        fail("nested tables: guest memory larger than the views' storage");
    if (guest.igvm_size != 0 &&
        (guest.igvm_size % k2M != 0 || guest.igvm_base % k2M != 0 ||
         !warden::within_one_block(guest.igvm_base, guest.igvm_size, kGiB) ||
         guest.igvm_base + guest.igvm_size > kCBitMask || guest.igvm_base < GuestMemory::kFlashEnd))
        fail("nested tables: the IGVM memory is not 2 MiB pages inside one GiB below the C-bit");
    tables = Tables{};
    tables.guest = guest, tables.rights = rights, tables.context = context;
    fill_ciphertext_page();
    build_view(0);
}

uint64_t npt_root(unsigned vmpl, bool paging) {
    if (vmpl >= kVmpls) fail("nested tables: no such VMPL");
    if (!tables.views[vmpl].pml4) build_view(vmpl);  // no line: the RMP lock is held
    return addr(paging ? tables.views[vmpl].pml4 : tables.views[vmpl].unpaged);
}

bool npt_use_shared_alias(uint64_t gpa, bool page_walk) {
    gpa &= ~uint64_t{4095};
    if (!tables.guest.contains(gpa, 4096)) return false;
    const PageRights r = tables.rights(tables.context, 0, gpa);
    if (r.shared_alias.writable || !r.shared_alias.present) return false;  // the hypervisor's, or no shared read
    SharedUse& use = shared_use[(tables.guest.hpa(gpa) - tables.guest.hpa_base) / 4096];
    const SharedUse want = page_walk ? SharedUse::kWalk : SharedUse::kData;
    if (use == want || use == SharedUse::kWalk) return false;  // nothing to change: the fault is another one
    use = want;
    npt_refresh(gpa, 4096);
    return true;
}

void npt_refresh(uint64_t gpa, uint64_t bytes) {
    gpa &= ~uint64_t{4095};
    const GuestMemory& g = tables.guest;
    const uint64_t limit = gpa < g.size        ? g.size
                           : g.in_igvm(gpa, 1) ? g.igvm_base + g.igvm_size
                                               : GuestMemory::kFlashEnd;
    const uint64_t end = gpa + bytes < limit ? gpa + bytes : limit;
    for (unsigned vmpl = 0; vmpl < kVmpls; ++vmpl)
        if (tables.views[vmpl].pml4) refresh_view(vmpl, gpa, end);
}

}  // namespace snp_host
