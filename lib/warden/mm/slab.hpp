// Slab heap: size classes 16 B .. 2 KiB carved from buddy blocks, larger
// requests straight from the pages below. Memory comes from a PageSource, so
// the kernel backs it with the buddy + direct map and host tests with malloc.
#pragma once

#include "warden/list.hpp"
#include "warden/result.hpp"
#include "warden/spinlock.hpp"

namespace warden::mm {

// Where the heap gets its pages: blocks of 2^order 4 KiB pages, aligned to
// their size (the slab header is found by aligning an object's address down).
enum class PageUse : uint8_t { kSlab, kLarge };

class PageSource {
public:
    // use says what the block is for, so the source can record it and later
    // tell a large allocation from anything else (large_order).
    virtual Result<void*> alloc_pages(unsigned order, PageUse use) = 0;
    virtual void free_pages(void* pages, unsigned order) = 0;
    // The order of a block this source handed out for a large allocation, or
    // kNotOwned: how a free of a page-aligned pointer is checked.
    virtual Result<unsigned> large_order(void* pages) = 0;

protected:
    ~PageSource() = default;
};

// The header at the start of every slab. A set bit in free_map is a free object.
struct SlabHeader {
    static constexpr uint32_t kMagic = 0x51ab51ab;
    ListNode node;
    const void* cache = nullptr;
    uint32_t magic = kMagic;
    uint16_t in_use = 0;
    uint16_t capacity = 0;
    uint64_t free_map[4] = {};
};
static_assert(sizeof(SlabHeader) <= 64, "the header must fit before the first object");

// One size class.
class SlabCache {
public:
    static constexpr size_t kHeaderBytes = 64;

    SlabCache(size_t object_size, unsigned slab_order) : object_size_(object_size), slab_order_(slab_order) {}
    SlabCache(const SlabCache&) = delete;
    SlabCache& operator=(const SlabCache&) = delete;

    Result<void*> alloc(PageSource& pages);
    // kInvalidArgument for a pointer that is not an object of this cache's
    // slabs, kDoubleFree for a free object. Nothing changes on error.
    Result<void> free(void* object, PageSource& pages);

    size_t object_size() const { return object_size_; }
    size_t slab_bytes() const { return size_t{4096} << slab_order_; }
    size_t objects_per_slab() const { return (slab_bytes() - kHeaderBytes) / object_size_; }
    size_t slabs() const { return slabs_; }
    size_t objects_in_use() const { return in_use_; }

private:
    using SlabList = IntrusiveList<SlabHeader, &SlabHeader::node>;

    size_t object_size_;
    unsigned slab_order_;
    SlabList partial_;  // slabs with at least one free object
    SlabList full_;     // slabs with none
    size_t slabs_ = 0;
    size_t in_use_ = 0;
};

struct HeapStats {
    size_t small_in_use = 0;  // slab objects handed out
    size_t slabs = 0;         // slabs held
    size_t large_in_use = 0;  // page blocks handed out for big requests
};

// kmalloc/kfree: the class that fits, or whole pages above 2 KiB.
class Heap {
public:
    static constexpr size_t kClassSizes[] = {16, 32, 64, 128, 256, 512, 1024, 2048};
    static constexpr size_t kClasses = sizeof(kClassSizes) / sizeof(kClassSizes[0]);
    static constexpr size_t kMaxSmall = 2048;

    explicit Heap(PageSource& pages) : pages_(pages) {}

    // Zero bytes is a valid request and returns a 16-byte object.
    Result<void*> alloc(size_t bytes);
    // A null pointer is a no-op. A pointer this heap did not hand out is an
    // error (kInvalidArgument, kDoubleFree or kNotOwned); nothing changes.
    Result<void> free(void* p);
    HeapStats stats() const;

private:
    SlabCache& cache_for(size_t bytes);

    PageSource& pages_;
    SpinLock lock_;
    size_t large_in_use_ = 0;
    SlabCache caches_[kClasses] = {{16, 0}, {32, 0}, {64, 0}, {128, 0}, {256, 0}, {512, 0}, {1024, 1}, {2048, 2}};
};

}  // namespace warden::mm
