// Slab caches and the heap on top of them.
#include "warden/mm/slab.hpp"

#include <new>

#include "warden/addr.hpp"

namespace warden::mm {

namespace {

SlabHeader* header_of(void* object, size_t slab_bytes) {
    return reinterpret_cast<SlabHeader*>(align_down(reinterpret_cast<uintptr_t>(object), slab_bytes));
}

bool is_free(const SlabHeader& h, size_t i) { return (h.free_map[i / 64] >> (i % 64)) & 1; }
void set_free(SlabHeader& h, size_t i, bool free) {
    if (free)
        h.free_map[i / 64] |= uint64_t{1} << (i % 64);
    else
        h.free_map[i / 64] &= ~(uint64_t{1} << (i % 64));
}

}  // namespace

Result<void*> SlabCache::alloc(PageSource& pages) {
    SlabHeader* slab = partial_.front();
    if (slab == nullptr) {
        auto block = pages.alloc_pages(slab_order_, PageUse::kSlab);
        if (!block) return Fail(block.error());
        slab = new (*block) SlabHeader;
        slab->cache = this;
        slab->capacity = static_cast<uint16_t>(objects_per_slab());
        for (size_t i = 0; i < slab->capacity; ++i) set_free(*slab, i, true);
        (void)partial_.push_back(*slab);
        ++slabs_;
    }
    size_t index = 0;
    for (size_t word = 0; word < 4; ++word) {
        if (slab->free_map[word] != 0) {
            index = word * 64 + static_cast<size_t>(__builtin_ctzll(slab->free_map[word]));
            break;
        }
    }
    set_free(*slab, index, false);
    if (++slab->in_use == slab->capacity) {
        SlabList::remove(*slab);
        (void)full_.push_back(*slab);
    }
    ++in_use_;
    return reinterpret_cast<char*>(slab) + kHeaderBytes + index * object_size_;
}

Result<void> SlabCache::free(void* object, PageSource& pages) {
    SlabHeader* slab = header_of(object, slab_bytes());
    const auto offset = static_cast<size_t>(reinterpret_cast<char*>(object) - reinterpret_cast<char*>(slab));
    if (slab->magic != SlabHeader::kMagic || slab->cache != this || offset < kHeaderBytes ||
        (offset - kHeaderBytes) % object_size_ != 0) {
        return Fail(Error::kInvalidArgument);
    }
    const size_t index = (offset - kHeaderBytes) / object_size_;
    if (index >= slab->capacity) return Fail(Error::kInvalidArgument);
    if (is_free(*slab, index)) return Fail(Error::kDoubleFree);
    set_free(*slab, index, true);
    if (slab->in_use-- == slab->capacity) {
        SlabList::remove(*slab);
        (void)partial_.push_back(*slab);
    }
    --in_use_;
    // An empty slab goes back to the pages unless it is the only one with
    // room: keeps one warm slab per class without hoarding.
    if (slab->in_use == 0 && partial_.size() > 1) {
        SlabList::remove(*slab);
        slab->magic = 0;
        pages.free_pages(slab, slab_order_);
        --slabs_;
    }
    return {};
}

SlabCache& Heap::cache_for(size_t bytes) {
    size_t i = 0;
    while (kClassSizes[i] < bytes) ++i;
    return caches_[i];
}

Result<void*> Heap::alloc(size_t bytes) {
    LockGuard guard(lock_);
    if (bytes <= kMaxSmall) return cache_for(bytes).alloc(pages_);
    unsigned order = 0;
    while ((size_t{4096} << order) < bytes) {
        if (++order > 10) return Fail(Error::kNoMemory);  // above the buddy's largest block
    }
    auto block = pages_.alloc_pages(order, PageUse::kLarge);
    if (block) ++large_in_use_;
    return block;
}

Result<void> Heap::free(void* p) {
    if (p == nullptr) return {};
    LockGuard guard(lock_);
    if (is_aligned(reinterpret_cast<uintptr_t>(p), 4096)) {
        // Slab objects never start a page: the header is there.
        auto order = pages_.large_order(p);
        if (!order) return Fail(order.error());
        pages_.free_pages(p, *order);
        --large_in_use_;
        return {};
    }
    // The slab's header names its cache; check it is one of ours before use.
    for (SlabCache& cache : caches_) {
        SlabHeader* slab = header_of(p, cache.slab_bytes());
        if (slab->magic == SlabHeader::kMagic && slab->cache == &cache) return cache.free(p, pages_);
    }
    return Fail(Error::kInvalidArgument);
}

HeapStats Heap::stats() const {
    HeapStats s;
    for (const SlabCache& c : caches_) {
        s.small_in_use += c.objects_in_use();
        s.slabs += c.slabs();
    }
    s.large_in_use = large_in_use_;
    return s;
}

}  // namespace warden::mm
