// Buddy allocator: split on allocation, merge with the buddy on free.
#include "warden/mm/buddy.hpp"

namespace warden::mm {

namespace {
constexpr uint64_t kMaxBlockBytes = kPageSize << BuddyAllocator::kMaxOrder;
}

Result<void> BuddyAllocator::init(PhysAddr base, std::span<FrameInfo> info) {
    // Buddies are found by flipping an index bit, so blocks are physically
    // aligned to their size only if the span starts on a max-order boundary.
    if (!base.is_aligned(kMaxBlockBytes)) return Fail(Error::kMisaligned);
    if (info.size() >= FrameInfo::kNone) return Fail(Error::kOutOfRange);
    base_ = base;
    info_ = info;
    for (FrameInfo& f : info_) f = FrameInfo{};
    for (unsigned o = 0; o <= kMaxOrder; ++o) {
        free_head_[o] = FrameInfo::kNone;
        free_count_[o] = 0;
    }
    free_frames_ = owned_frames_ = 0;
    return {};
}

bool BuddyAllocator::index_of(PhysAddr a, uint32_t& index) const {
    if (a < base_ || !a.is_aligned(kPageSize)) return false;
    const uint64_t i = (a - base_) / kPageSize;
    if (i >= info_.size()) return false;
    index = static_cast<uint32_t>(i);
    return true;
}

const FrameInfo* BuddyAllocator::info(PhysAddr addr) const {
    uint32_t i;
    return index_of(addr, i) ? &info_[i] : nullptr;
}

void BuddyAllocator::push_free(uint32_t index, unsigned order) {
    FrameInfo& f = info_[index];
    f.state = FrameState::kFree;
    f.order = static_cast<uint8_t>(order);
    f.free_head = true;
    f.prev = FrameInfo::kNone;
    f.next = free_head_[order];
    if (f.next != FrameInfo::kNone) info_[f.next].prev = index;
    free_head_[order] = index;
    ++free_count_[order];
}

void BuddyAllocator::unlink_free(uint32_t index, unsigned order) {
    FrameInfo& f = info_[index];
    if (f.prev != FrameInfo::kNone)
        info_[f.prev].next = f.next;
    else
        free_head_[order] = f.next;
    if (f.next != FrameInfo::kNone) info_[f.next].prev = f.prev;
    f.next = f.prev = FrameInfo::kNone;
    f.free_head = false;
    --free_count_[order];
}

// Frames of the block are already marked kFree; merge upwards, then list it.
void BuddyAllocator::free_block(uint32_t index, unsigned order) {
    while (order < kMaxOrder) {
        const uint32_t buddy = index ^ (uint32_t{1} << order);
        if (buddy >= info_.size()) break;
        const FrameInfo& b = info_[buddy];
        if (!b.free_head || b.order != order) break;
        unlink_free(buddy, order);
        if (buddy < index) index = buddy;
        ++order;
    }
    push_free(index, order);
}

Result<void> BuddyAllocator::add_free_range(PhysRange r) {
    const PhysAddr first_addr = r.base.align_up(kPageSize);
    const PhysAddr end_addr = r.end().align_down(kPageSize);
    if (end_addr <= first_addr) return {};
    uint32_t first, last;
    if (!index_of(first_addr, first) || !index_of(end_addr - kPageSize, last)) return Fail(Error::kOutOfRange);
    for (uint32_t i = first; i <= last; ++i) {
        if (info_[i].state != FrameState::kReserved) return Fail(Error::kOverlap);
    }
    for (uint32_t i = first; i <= last; ++i) info_[i].state = FrameState::kFree;
    const uint64_t end = uint64_t{last} + 1;
    for (uint64_t i = first; i < end;) {
        unsigned order = kMaxOrder;
        while (order > 0 && ((i & ((uint64_t{1} << order) - 1)) != 0 || i + (uint64_t{1} << order) > end)) --order;
        free_block(static_cast<uint32_t>(i), order);
        i += uint64_t{1} << order;
    }
    free_frames_ += end - first;
    owned_frames_ += end - first;
    return {};
}

Result<PhysAddr> BuddyAllocator::take(uint32_t index, unsigned from_order, unsigned order, FrameState as) {
    while (from_order > order) {
        --from_order;
        push_free(index + (uint32_t{1} << from_order), from_order);
    }
    FrameInfo& head = info_[index];
    head.state = as;
    head.order = static_cast<uint8_t>(order);
    head.free_head = false;
    for (uint32_t i = 1; i < (uint32_t{1} << order); ++i) info_[index + i].state = FrameState::kTail;
    free_frames_ -= uint64_t{1} << order;
    return addr_of(index);
}

Result<PhysAddr> BuddyAllocator::alloc(unsigned order, FrameState as) {
    if (order > kMaxOrder || as == FrameState::kFree || as == FrameState::kReserved || as == FrameState::kTail) {
        return Fail(Error::kInvalidArgument);
    }
    for (unsigned o = order; o <= kMaxOrder; ++o) {
        const uint32_t index = free_head_[o];
        if (index == FrameInfo::kNone) continue;
        unlink_free(index, o);
        return take(index, o, order, as);
    }
    return Fail(Error::kNoMemory);
}

Result<PhysAddr> BuddyAllocator::alloc_below(unsigned order, PhysAddr limit, FrameState as) {
    if (order > kMaxOrder || as == FrameState::kFree || as == FrameState::kReserved || as == FrameState::kTail) {
        return Fail(Error::kInvalidArgument);
    }
    for (unsigned o = order; o <= kMaxOrder; ++o) {
        for (uint32_t index = free_head_[o]; index != FrameInfo::kNone; index = info_[index].next) {
            // The part handed out is the block's first 2^order frames.
            if (addr_of(index) + (kPageSize << order) > limit) continue;
            unlink_free(index, o);
            return take(index, o, order, as);
        }
    }
    return Fail(Error::kNoMemory);
}

Result<void> BuddyAllocator::free(PhysAddr addr, unsigned order) {
    uint32_t index;
    if (order > kMaxOrder || !index_of(addr, index)) return Fail(Error::kNotOwned);
    FrameInfo& head = info_[index];
    switch (head.state) {
    case FrameState::kFree: return Fail(Error::kDoubleFree);
    case FrameState::kReserved:
    case FrameState::kTail: return Fail(Error::kNotOwned);
    default: break;
    }
    if (head.order != order) return Fail(Error::kWrongOrder);
    for (uint32_t i = 0; i < (uint32_t{1} << order); ++i) {
        info_[index + i].state = FrameState::kFree;
        info_[index + i].aux = 0;
    }
    free_block(index, order);
    free_frames_ += uint64_t{1} << order;
    return {};
}

Result<unsigned> BuddyAllocator::allocated_order(PhysAddr addr) const {
    const FrameInfo* f = info(addr);
    if (f == nullptr) return Fail(Error::kNotOwned);
    switch (f->state) {
    case FrameState::kAllocated:
    case FrameState::kSlab:
    case FrameState::kPageTable: return unsigned{f->order};
    default: return Fail(Error::kNotOwned);
    }
}

Result<void> BuddyAllocator::set_state(PhysAddr addr, FrameState state, uint32_t aux) {
    uint32_t index;
    if (!index_of(addr, index) || !allocated_order(addr)) return Fail(Error::kNotOwned);
    if (state != FrameState::kAllocated && state != FrameState::kSlab && state != FrameState::kPageTable) {
        return Fail(Error::kInvalidArgument);
    }
    info_[index].state = state;
    info_[index].aux = aux;
    return {};
}

}  // namespace warden::mm
