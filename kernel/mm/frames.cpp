// Frame allocator setup from the boot memory map, and the kernel's wrappers.
#include "mm/frames.hpp"

#include <cstring>

#include "log.hpp"
#include "mm/layout.hpp"
#include "panic.hpp"
#include "warden/spinlock.hpp"

namespace warden::mm {

uint64_t phys_window_offset = 0;
uint64_t image_load_offset = 0;

namespace {

constexpr uint64_t kLowEnd = 1ull << 20;
constexpr uint64_t kMaxBlock = kPageSize << BuddyAllocator::kMaxOrder;

BuddyAllocator buddy;
PhysRange identity;  // what the boot tables map, until the direct map is live
BootMemoryAccount account;
SpinLock lock;

// Adds the RAM of [from, to) not covered by `skip` ranges.
void add_ram(const MemoryMap& map, uint64_t from, uint64_t to, std::span<const PhysRange> skip) {
    for (const MemoryRegion& r : map.regions()) {
        if (r.type != RegionType::kRam) continue;
        uint64_t lo = r.range.base.raw() < from ? from : r.range.base.raw();
        const uint64_t hi = r.range.end().raw() > to ? to : r.range.end().raw();
        while (lo < hi) {
            // Cut at the first skipped range that starts in [lo, hi).
            uint64_t cut = hi, resume = hi;
            for (const PhysRange& s : skip) {
                if (s.end().raw() > lo && s.base.raw() < cut) {
                    cut = s.base.raw() > lo ? s.base.raw() : lo;
                    resume = s.end().raw();
                }
            }
            if (cut > lo) {
                if (auto res = buddy.add_free_range(PhysRange{PhysAddr(lo), cut - lo}); !res) {
                    panic("frames: cannot add [{:#x}, {:#x}): {}", lo, cut, res.error());
                }
            }
            lo = resume;
        }
    }
}

}  // namespace

Result<void> init_frames(const MemoryMap& map, PhysRange image, PhysRange identity_mapped) {
    uint64_t top = 0, bottom = ~uint64_t{0};
    for (const MemoryRegion& r : map.regions()) {
        if (r.type != RegionType::kRam) continue;
        if (r.range.end().raw() > top) top = r.range.end().raw();
        if (r.range.base.raw() < bottom) bottom = r.range.base.raw();
    }
    if (top <= kLowEnd) return Fail(Error::kNoMemory);
    // The allocator covers the RAM's span, from a boundary of its largest
    // block (the SVSM memory under IGVM may start far above 0: 512 GiB).
    const uint64_t first = bottom & ~(kMaxBlock - 1);
    const uint64_t frames = (align_up(top, kMaxBlock) - first) / kPageSize;
    const uint64_t info_bytes = align_up(frames * sizeof(FrameInfo), kPageSize);

    // The frame array goes in the first RAM after the image, identity-mapped.
    const uint64_t image_end = align_up(image.end().raw(), kPageSize);
    const PhysRange array{PhysAddr(image_end), info_bytes};
    if (!map.is_ram(array) || !identity_mapped.contains(array)) return Fail(Error::kNoMemory);

    auto* frame_info = phys_to_virt<FrameInfo>(array.base);
    WARDEN_TRY_VOID(buddy.init(PhysAddr(first), std::span<FrameInfo>(frame_info, frames)));

    identity = identity_mapped;
    const PhysRange skip[] = {PhysRange{PhysAddr(0), kLowEnd}, image, array};
    add_ram(map, identity.base.raw(), identity.end().raw(), skip);

    account.ram = map.ram_bytes();
    account.low = map.ram_bytes_in(PhysRange{PhysAddr(0), kLowEnd});
    account.image = map.ram_bytes_in(image);
    account.frame_info = info_bytes;
    return {};
}

void move_to_direct_map() {
    auto* moved = reinterpret_cast<FrameInfo*>(reinterpret_cast<uint64_t>(buddy.info(buddy.base())) + kDirectMapBase);
    if (!buddy.rebase(std::span<FrameInfo>(moved, buddy.frame_count()))) panic("frames: rebase failed");
}

void add_high_memory(const MemoryMap& ram) {
    const PhysRange skip[] = {PhysRange{PhysAddr(0), kLowEnd}};
    add_ram(ram, 0, identity.base.raw(), skip);
    add_ram(ram, identity.end().raw(), ~uint64_t{0}, {});
    account.unaligned =
        account.ram - account.low - account.image - account.frame_info - buddy.owned_frames() * kPageSize;
}

Result<PhysAddr> alloc_frames(unsigned order, FrameState as) {
    LockGuard guard(lock);
    return buddy.alloc(order, as);
}

Result<PhysAddr> alloc_zeroed(unsigned order, FrameState as) {
    auto frame = alloc_frames(order, as);
    if (frame) std::memset(phys_to_virt(*frame), 0, kPageSize << order);
    return frame;
}

void free_frames(PhysAddr frame, unsigned order) {
    LockGuard guard(lock);
    if (auto r = buddy.free(frame, order); !r) panic("frames: free of {} (order {}): {}", frame, order, r.error());
}

BuddyAllocator& frame_allocator() { return buddy; }

LockedFrames::LockedFrames() { lock.lock(); }
LockedFrames::~LockedFrames() { lock.unlock(); }
BuddyAllocator& LockedFrames::allocator() { return buddy; }
const BootMemoryAccount& boot_account() { return account; }
uint64_t free_bytes() { return buddy.free_frames() * kPageSize; }

}  // namespace warden::mm
