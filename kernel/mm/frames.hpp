// The kernel's physical memory: one buddy allocator over every RAM region of
// the boot memory map, minus what the boot itself occupies. Errors that only
// a kernel bug can cause (double free, wrong order) panic here.
#pragma once

#include "warden/memmap.hpp"
#include "warden/mm/buddy.hpp"

namespace warden::mm {

// Where RAM went at boot, in bytes; printed at boot and checked by a test.
struct BootMemoryAccount {
    uint64_t ram = 0;         // type-1 regions of the memory map
    uint64_t low = 0;         // RAM below 1 MiB (firmware data, AP trampoline later)
    uint64_t image = 0;       // the kernel image
    uint64_t frame_info = 0;  // the allocator's per-frame array
    uint64_t unaligned = 0;   // partial frames at region edges
};

// Phase 1: the allocator over all RAM, handing out only the RAM the boot
// page tables identity-map (identity: boot::info().identity).
// ram: what the allocator may use; image: the kernel image, never handed out.
Result<void> init_frames(const MemoryMap& ram, PhysRange image, PhysRange identity);
// Once the direct map is live: the allocator's array moves to it.
void move_to_direct_map();
// Phase 2, once the direct map is live: the RAM outside the identity map joins.
void add_high_memory(const MemoryMap& ram);

Result<PhysAddr> alloc_frames(unsigned order, FrameState as = FrameState::kAllocated);
// Zero-filled, as every page-table frame must be.
Result<PhysAddr> alloc_zeroed(unsigned order, FrameState as = FrameState::kAllocated);
void free_frames(PhysAddr frame, unsigned order);

BuddyAllocator& frame_allocator();

// The allocator with its lock held for the guard's life, for the boot tests
// that check its bookkeeping while other CPUs run: a free-byte count or a
// double free means something only when nobody allocates in between (a
// block freed twice may be someone else's by the second free otherwise).
// Nothing may allocate frames on this CPU meanwhile.
class [[nodiscard]] LockedFrames {
public:
    LockedFrames();
    ~LockedFrames();
    LockedFrames(const LockedFrames&) = delete;
    LockedFrames& operator=(const LockedFrames&) = delete;
    BuddyAllocator& allocator();
};
const BootMemoryAccount& boot_account();
uint64_t free_bytes();

}  // namespace warden::mm
