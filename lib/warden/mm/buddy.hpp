// Buddy frame allocator over 4 KiB frames, orders 0..kMaxOrder (4 KiB..4 MiB).
// Pure bookkeeping: it never touches the frames themselves. Free lists are
// linked through the per-frame info array, so the caller decides where that
// array lives and nothing here needs the memory mapped.
#pragma once

#include <span>

#include "warden/addr.hpp"
#include "warden/result.hpp"

namespace warden::mm {

enum class FrameState : uint8_t {
    kReserved = 0,  // not RAM, or RAM the allocator does not own (image, firmware)
    kFree,          // in a free block (only a block's head frame has its order)
    kAllocated,     // handed out by alloc(); head frame holds the order
    kSlab,          // allocated, and carrying slab objects
    kPageTable,     // allocated, and used as a page-table frame
    kTail,          // a non-head frame of an allocated block
};

constexpr const char* frame_state_name(FrameState s) {
    switch (s) {
    case FrameState::kReserved: return "reserved";
    case FrameState::kFree: return "free";
    case FrameState::kAllocated: return "allocated";
    case FrameState::kSlab: return "slab";
    case FrameState::kPageTable: return "page table";
    case FrameState::kTail: return "tail";
    }
    return "?";
}

struct FrameInfo {
    static constexpr uint32_t kNone = 0xffffffff;
    uint32_t next = kNone;  // free-list links (frame indices), valid when kFree head
    uint32_t prev = kNone;
    FrameState state = FrameState::kReserved;
    uint8_t order = 0;
    bool free_head = false;  // head of a free block on list `order`
    uint8_t unused = 0;
    uint32_t aux = 0;  // owner's word: slab size class, page-table level
};
static_assert(sizeof(FrameInfo) == 16, "FrameInfo is part of the memory overhead budget");

class BuddyAllocator {
public:
    static constexpr unsigned kMaxOrder = 10;

    // The smallest order whose block (4 KiB << order) holds `bytes`;
    // kMaxOrder + 1 for more than the largest block (callers refuse it).
    // Never shifts past the word, whatever `bytes` is.
    static constexpr unsigned order_for_bytes(uint64_t bytes) {
        unsigned order = 0;
        while (order <= kMaxOrder && (kPageSize << order) < bytes) ++order;
        return order;
    }

    // Covers frames [base, base + info.size() * 4 KiB); all start reserved.
    // base must be 4 KiB aligned.
    Result<void> init(PhysAddr base, std::span<FrameInfo> info);

    // The same info array, now reached at another address (the kernel moves
    // from the boot identity map to its direct map). Sizes must match.
    Result<void> rebase(std::span<FrameInfo> info) {
        if (info.size() != info_.size()) return Fail(Error::kInvalidArgument);
        info_ = info;
        return {};
    }

    // Hands the frames of r (rounded inward to whole frames) to the allocator.
    // Fails with kOutOfRange outside the covered span, kOverlap if any frame
    // is already owned (free or allocated).
    Result<void> add_free_range(PhysRange r);

    // A block of 2^order frames, aligned to its size. kNoMemory when none.
    Result<PhysAddr> alloc(unsigned order, FrameState as = FrameState::kAllocated);
    // Like alloc, but only a block that ends at or below limit (boot-time use).
    Result<PhysAddr> alloc_below(unsigned order, PhysAddr limit, FrameState as = FrameState::kAllocated);

    // Returns a block. Detects double free (kDoubleFree), a wrong order
    // (kWrongOrder), a reserved or out-of-range frame or a non-head frame
    // (kNotOwned). Nothing changes on error.
    Result<void> free(PhysAddr addr, unsigned order);

    // The order a head frame was allocated with (kNotOwned otherwise).
    Result<unsigned> allocated_order(PhysAddr addr) const;

    // Changes the recorded use of an allocated block (kAllocated <-> kSlab, ...).
    Result<void> set_state(PhysAddr addr, FrameState state, uint32_t aux = 0);

    const FrameInfo* info(PhysAddr addr) const;
    uint64_t free_frames() const { return free_frames_; }
    uint64_t owned_frames() const { return owned_frames_; }
    size_t free_blocks(unsigned order) const { return order <= kMaxOrder ? free_count_[order] : 0; }
    PhysAddr base() const { return base_; }
    size_t frame_count() const { return info_.size(); }

private:
    bool index_of(PhysAddr a, uint32_t& index) const;
    PhysAddr addr_of(uint32_t index) const { return base_ + uint64_t{index} * kPageSize; }
    void push_free(uint32_t index, unsigned order);
    void unlink_free(uint32_t index, unsigned order);
    void free_block(uint32_t index, unsigned order);
    Result<PhysAddr> take(uint32_t index, unsigned from_order, unsigned order, FrameState as);

    PhysAddr base_;
    std::span<FrameInfo> info_;
    uint32_t free_head_[kMaxOrder + 1] = {};
    size_t free_count_[kMaxOrder + 1] = {};
    uint64_t free_frames_ = 0;
    uint64_t owned_frames_ = 0;
};

}  // namespace warden::mm
