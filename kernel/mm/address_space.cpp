// Building, loading and auditing the kernel address space.
#include "mm/address_space.hpp"

#include <new>

#include "arch/x86_64/cpu.hpp"
#include "log.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "panic.hpp"

extern "C" const char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[], __data_end[];

namespace warden::mm {
namespace {

constexpr uint32_t kMsrEfer = 0xc0000080;
constexpr uint64_t kEferNxe = bit(11);
constexpr uint64_t kCr0WriteProtect = bit(16);
constexpr uint64_t kCr4Pge = bit(7);
constexpr uint32_t kCpuidNxBit = 20;      // CPUID 0x80000001 EDX
constexpr uint32_t kCpuidPage1GBit = 26;  // CPUID 0x80000001 EDX
constexpr uint32_t kCpuidPgeBit = 13;     // CPUID 1 EDX

class KernelTables final : public TableMemory {
public:
    uint64_t* table(PhysAddr frame) override { return phys_to_virt<uint64_t>(frame); }
    Result<PhysAddr> alloc_table() override { return alloc_zeroed(0, FrameState::kPageTable); }
    void free_table(PhysAddr frame) override { free_frames(frame, 0); }
};

// invlpg on this CPU, then on every other one (the hook SMP installs).
class KernelTlb final : public TlbSink {
public:
    void invalidate(VirtAddr page) override {
        if (!live) return;
        arch::invlpg(page.raw());
        if (remote) remote(page);
    }
    bool live = false;
    void (*remote)(VirtAddr) = nullptr;
};

KernelTables tables;
KernelTlb tlb;
alignas(Mapper) unsigned char mapper_storage[sizeof(Mapper)];
Mapper* mapper = nullptr;

Result<void> map_section(const char* start, const char* end, MapFlags flags) {
    const VirtAddr va(reinterpret_cast<uint64_t>(start));
    return mapper->map(va, image_phys(start), static_cast<uint64_t>(end - start), flags);
}

bool cpu_has(uint32_t leaf, uint32_t edx_bit) {
    const uint32_t max_leaf = arch::cpuid(leaf & 0x80000000u).eax;
    return max_leaf >= leaf && test_bit(arch::cpuid(leaf).edx, edx_bit);
}

}  // namespace

Mapper& kernel_mapper() { return *mapper; }

void set_remote_invalidate(void (*hook)(VirtAddr)) { tlb.remote = hook; }

Result<VirtAddr> map_device_page(PhysAddr page) {
    static uint64_t next = kMmioBase;
    if (next >= kMmioEnd) return Fail(Error::kOutOfRange);
    const VirtAddr va(next);
    const MapFlags device{.writable = true, .global = true, .uncached = true, .encrypted = false};
    WARDEN_TRY_VOID(kernel_mapper().map(va, page, kPageSize, device));
    next += kPageSize;
    return va;
}

Result<void> build_kernel_address_space(const MemoryMap& ram, uint64_t encryption_mask) {
    if (!cpu_has(0x80000001, kCpuidNxBit)) return Fail(Error::kUnsupported);  // W^X needs NX
    auto root = alloc_zeroed(0, FrameState::kPageTable);
    if (!root) return Fail(root.error());
    // Private memory carries the platform's C-bit (0 on native): every leaf and table the kernel maps.
    mapper = new (mapper_storage) Mapper(*root, tables, &tlb, encryption_mask);

    // The image, section by section (linker/kernel.ld keeps them page aligned).
    WARDEN_TRY_VOID(map_section(__text_start, __text_end, MapFlags{.executable = true, .global = true}));
    WARDEN_TRY_VOID(map_section(__rodata_start, __rodata_end, MapFlags{.global = true}));
    WARDEN_TRY_VOID(map_section(__data_start, __data_end, MapFlags{.writable = true, .global = true}));

    // The direct map: every RAM region, RW and NX, in the largest pages that fit.
    const bool page_1g = cpu_has(0x80000001, kCpuidPage1GBit);
    for (const MemoryRegion& r : ram.regions()) {
        if (r.type != RegionType::kRam) continue;
        const PhysAddr lo = r.range.base.align_up(kPageSize);
        const PhysAddr hi = r.range.end().align_down(kPageSize);
        if (hi <= lo) continue;
        WARDEN_TRY_VOID(mapper->map_best(VirtAddr(kDirectMapBase + lo.raw()), lo, hi - lo,
                                         MapFlags{.writable = true, .global = true}, page_1g));
    }
    // No writable alias of the kernel's code and constants.
    const PhysAddr ro_lo = image_phys(__text_start);
    WARDEN_TRY_VOID(mapper->protect(VirtAddr(kDirectMapBase + ro_lo.raw()), image_phys(__rodata_end) - ro_lo,
                                    MapFlags{.global = true}));

    arch::wrmsr(kMsrEfer, arch::rdmsr(kMsrEfer) | kEferNxe);  // before any NX bit is live
    if (cpu_has(1, kCpuidPgeBit)) arch::write_cr4(arch::read_cr4() | kCr4Pge);
    arch::write_cr3(root->raw() | encryption_mask);  // C-bit: the root is private
    phys_window_offset = kDirectMapBase;
    move_to_direct_map();
    tlb.live = true;
    arch::write_cr0(arch::read_cr0() | kCr0WriteProtect);  // read-only means read-only for CPL0 too
    add_high_memory(ram);
    return {};
}

AuditResult audit_kernel_address_space() {
    AuditResult result;
    const uint64_t c_bit = mapper->c_bit();
    const Mapper live(PhysAddr(arch::read_cr3() & pte::kAddressMask & ~c_bit), tables, nullptr, c_bit);
    live.for_each_leaf([&](VirtAddr va, const Translation& t) {
        switch (t.size) {
        case PageSize::k4K: ++result.leaves_4k; break;
        case PageSize::k2M: ++result.leaves_2m; break;
        case PageSize::k1G: ++result.leaves_1g; break;
        }
        const bool bad_wx = t.flags.writable && t.flags.executable;
        const bool bad_dm = t.flags.executable && va.raw() >= kDirectMapBase && va.raw() < kStacksBase;
        if ((bad_wx || bad_dm) && result.ok()) result.first_bad = va;
        result.writable_and_executable += bad_wx;
        result.executable_direct_map += bad_dm;
    });
    return result;
}

}  // namespace warden::mm
