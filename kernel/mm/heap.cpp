// Heap pages come from the buddy and are used through the direct map. The
// frame info records which blocks are large heap allocations, so a free of
// any other page-aligned pointer is caught.
#include "mm/heap.hpp"

#include <new>

#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "panic.hpp"

namespace warden::mm {
namespace {

constexpr uint32_t kAuxHeapLarge = 0x4c415247;  // "LARG"

class FramePages final : public PageSource {
public:
    Result<void*> alloc_pages(unsigned order, PageUse use) override {
        auto frame = alloc_frames(order, use == PageUse::kSlab ? FrameState::kSlab : FrameState::kAllocated);
        if (!frame) return Fail(frame.error());
        if (use == PageUse::kLarge) (void)frame_allocator().set_state(*frame, FrameState::kAllocated, kAuxHeapLarge);
        return phys_to_virt(*frame);
    }
    void free_pages(void* pages, unsigned order) override { free_frames(direct_map_to_phys(pages), order); }
    Result<unsigned> large_order(void* pages) override {
        if (!in_direct_map(pages)) return Fail(Error::kNotOwned);
        const FrameInfo* f = frame_allocator().info(direct_map_to_phys(pages));
        if (f == nullptr || f->state != FrameState::kAllocated || f->aux != kAuxHeapLarge)
            return Fail(Error::kNotOwned);
        return unsigned{f->order};
    }
};

FramePages pages;
alignas(Heap) unsigned char heap_storage[sizeof(Heap)];
Heap* heap = nullptr;

}  // namespace

void init_heap() { heap = new (heap_storage) Heap(pages); }

Heap& kernel_heap() { return *heap; }

}  // namespace warden::mm

// Plain new cannot fail quietly under -fno-exceptions: running out is reported
// as a panic. Code that can cope uses new (std::nothrow) and checks for null.
void* operator new(size_t bytes) {
    auto p = warden::mm::kernel_heap().alloc(bytes);
    if (!p) warden::panic("out of memory: new of {} bytes: {}", bytes, p.error());
    return *p;
}
void* operator new[](size_t bytes) { return operator new(bytes); }
void* operator new(size_t bytes, const std::nothrow_t&) noexcept {
    return warden::mm::kernel_heap().alloc(bytes).value_or(nullptr);
}
void* operator new[](size_t bytes, const std::nothrow_t& tag) noexcept { return operator new(bytes, tag); }

void operator delete(void* p) noexcept {
    if (p == nullptr) return;
    if (!warden::mm::in_direct_map(p)) warden::panic("delete of {}: not a heap pointer", static_cast<const void*>(p));
    if (auto r = warden::mm::kernel_heap().free(p); !r)
        warden::panic("delete of {}: {}", static_cast<const void*>(p), r.error());
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, size_t) noexcept { operator delete(p); }
void operator delete[](void* p, size_t) noexcept { operator delete(p); }
