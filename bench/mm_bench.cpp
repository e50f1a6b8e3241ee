// Host microbenchmarks of the memory code, for callgrind instruction counts
// (tools/bench_mm.py runs each function under --toggle-collect and divides by
// the iteration count). Same lib/ sources as the kernel, host compiler.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "warden/mm/buddy.hpp"
#include "warden/mm/page_table.hpp"
#include "warden/mm/slab.hpp"

using namespace warden;
using namespace warden::mm;

namespace {

constexpr uint64_t kMiB = 1 << 20;

class Pages final : public PageSource {
public:
    Result<void*> alloc_pages(unsigned order, PageUse) override {
        return std::aligned_alloc(size_t{4096} << order, size_t{4096} << order);
    }
    void free_pages(void* p, unsigned) override { std::free(p); }
    Result<unsigned> large_order(void*) override { return Fail(Error::kNotOwned); }
};

class Tables final : public TableMemory {
public:
    uint64_t* table(PhysAddr f) override { return frames[(f.raw() >> 12) - 1].get(); }
    Result<PhysAddr> alloc_table() override {
        frames.push_back(std::make_unique<uint64_t[]>(512));
        return PhysAddr(frames.size() << 12);
    }
    void free_table(PhysAddr) override {}  // kept: a bench must not pay for the host allocator
    std::vector<std::unique_ptr<uint64_t[]>> frames;
};

struct NoTlb final : TlbSink {
    void invalidate(VirtAddr) override {}
};

[[gnu::noinline]] void bench_frame_alloc_free(BuddyAllocator& b, int n) {
    for (int i = 0; i < n; ++i) {
        auto f = b.alloc(0);
        if (!f || !b.free(*f, 0)) std::abort();
    }
}

[[gnu::noinline]] void bench_slab_alloc_free(Heap& h, int n) {
    for (int i = 0; i < n; ++i) {
        auto p = h.alloc(64);
        if (!p || !h.free(*p)) std::abort();
    }
}

[[gnu::noinline]] void bench_map_unmap(Mapper& m, int n) {
    const MapFlags rw{.writable = true};
    for (int i = 0; i < n; ++i) {
        const VirtAddr va(0xffffff0000000000 + (uint64_t(i % 64) << 12));
        if (!m.map(va, PhysAddr(0x200000), kPageSize, rw) || !m.unmap(va, kPageSize)) std::abort();
    }
}

[[gnu::noinline]] uint64_t bench_translate(const Mapper& m, int n) {
    uint64_t sum = 0;
    for (int i = 0; i < n; ++i)
        sum += m.translate(VirtAddr(0xffff800000000000 + (uint64_t(i % 512) << 12)))->phys.raw();
    return sum;
}

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
    // Frames: a 64 MiB buddy with some fragmentation, as after boot.
    std::vector<FrameInfo> info(64 * kMiB / kPageSize);
    BuddyAllocator buddy;
    if (!buddy.init(PhysAddr(0), info) || !buddy.add_free_range(PhysRange{PhysAddr(kMiB), 63 * kMiB})) return 1;
    for (int i = 0; i < 100; ++i) (void)buddy.alloc(i % 3);
    bench_frame_alloc_free(buddy, n);

    Pages pages;
    Heap heap(pages);
    void* warm = *heap.alloc(64);  // keeps one slab live, as in a running kernel
    bench_slab_alloc_free(heap, n);
    (void)heap.free(warm);

    Tables tables;
    NoTlb tlb;
    Mapper mapper(*tables.alloc_table(), tables, &tlb);
    // The tables above the stacks region exist, as they do in the kernel.
    if (!mapper.map(VirtAddr(0xffffff0000100000), PhysAddr(0x100000), kPageSize, MapFlags{})) return 1;
    bench_map_unmap(mapper, n);
    if (!mapper.map_best(VirtAddr(0xffff800000000000), PhysAddr(0), 64 * kMiB, MapFlags{.writable = true}, false))
        return 1;
    std::printf("%llu\n", static_cast<unsigned long long>(bench_translate(mapper, n)));
    return 0;
}
