#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "warden/mm/slab.hpp"

using namespace warden;
using namespace warden::mm;

namespace {

// Pages from aligned_alloc; remembers orders like the kernel's frame info.
class HostPages final : public PageSource {
public:
    ~HostPages() {
        for (auto& [p, order] : live) std::free(p);
    }
    Result<void*> alloc_pages(unsigned order, PageUse use) override {
        if (budget == 0) return Fail(Error::kNoMemory);
        --budget;
        const size_t bytes = size_t{4096} << order;
        void* p = std::aligned_alloc(bytes, bytes);
        std::memset(p, 0xa5, bytes);  // never hand out zeroes by accident
        live[p] = order;
        if (use == PageUse::kLarge) large.insert(p);
        return p;
    }
    void free_pages(void* p, unsigned order) override {
        REQUIRE(live.count(p) == 1);
        REQUIRE(live[p] == order);
        live.erase(p);
        large.erase(p);
        std::free(p);
    }
    Result<unsigned> large_order(void* p) override {
        auto it = live.find(p);
        if (it == live.end() || large.count(p) == 0) return Fail(Error::kNotOwned);
        return it->second;
    }
    std::map<void*, unsigned> live;
    std::set<void*> large;
    size_t budget = 1'000'000;
};

}  // namespace

TEST_CASE("slab: each size class gets objects of at least its size, 16-byte aligned") {
    HostPages pages;
    Heap heap(pages);
    for (size_t bytes : {size_t{0}, size_t{1}, size_t{16}, size_t{17}, size_t{64}, size_t{100}, size_t{2048}}) {
        auto p = heap.alloc(bytes);
        REQUIRE(p.ok());
        CHECK(reinterpret_cast<uintptr_t>(*p) % 16 == 0);
        std::memset(*p, 0, bytes);  // ASan checks the object is really that big
        CHECK(heap.free(*p).ok());
    }
}

TEST_CASE("slab: a cache fills a slab before asking for another") {
    HostPages pages;
    SlabCache cache(64, 0);
    CHECK(cache.objects_per_slab() == (4096 - 64) / 64);
    std::vector<void*> objs;
    for (size_t i = 0; i < cache.objects_per_slab(); ++i) objs.push_back(*cache.alloc(pages));
    CHECK(cache.slabs() == 1);
    objs.push_back(*cache.alloc(pages));
    CHECK(cache.slabs() == 2);
    std::set<void*> unique(objs.begin(), objs.end());
    CHECK(unique.size() == objs.size());
    for (void* p : objs) REQUIRE(cache.free(p, pages).ok());
    CHECK(cache.objects_in_use() == 0);
    CHECK(cache.slabs() == 1);  // one empty slab stays warm
}

TEST_CASE("slab: large allocations come from whole pages and go back to them") {
    HostPages pages;
    Heap heap(pages);
    auto p = heap.alloc(2049);
    REQUIRE(p.ok());
    CHECK(reinterpret_cast<uintptr_t>(*p) % 4096 == 0);
    CHECK(pages.live[*p] == 0);
    auto q = heap.alloc(5 * 4096);
    REQUIRE(q.ok());
    CHECK(pages.live[*q] == 3);  // 32 KiB block
    CHECK(heap.stats().large_in_use == 2);
    CHECK(heap.free(*p).ok());
    CHECK(heap.free(*q).ok());
    CHECK(heap.stats().large_in_use == 0);
    CHECK(heap.alloc(size_t{8} << 20).error() == Error::kNoMemory);  // above 4 MiB
}

TEST_CASE("slab: bad frees are refused and change nothing") {
    HostPages pages;
    Heap heap(pages);
    auto p = heap.alloc(64);
    REQUIRE(p.ok());
    char* c = static_cast<char*>(*p);
    CHECK(heap.free(c + 8).error() == Error::kInvalidArgument);  // inside an object
    void* slab_start = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(c) & ~uintptr_t{4095});
    CHECK(heap.free(slab_start).error() == Error::kNotOwned);  // a slab's page is not a large block
    CHECK(heap.stats().small_in_use == 1);
    REQUIRE(heap.free(*p).ok());
    CHECK(heap.free(*p).error() == Error::kDoubleFree);
    auto big = heap.alloc(10000);
    REQUIRE(big.ok());
    void* page_in_big = static_cast<char*>(*big) + 4096;
    CHECK(heap.free(page_in_big).error() == Error::kNotOwned);
    CHECK(heap.free(nullptr).ok());
    CHECK(heap.free(*big).ok());
}

TEST_CASE("slab: running out of pages is an error, not a crash") {
    HostPages pages;
    pages.budget = 1;
    Heap heap(pages);
    std::vector<void*> objs;
    for (size_t i = 0; i < (4096 - 64) / 512; ++i) objs.push_back(*heap.alloc(512));
    CHECK(heap.alloc(512).error() == Error::kNoMemory);
    CHECK(heap.alloc(4096).error() == Error::kNoMemory);
    for (void* p : objs) REQUIRE(heap.free(p).ok());
}

TEST_CASE("slab: random alloc/free keeps objects disjoint and intact") {
    HostPages pages;
    Heap heap(pages);
    std::mt19937 rng(7);
    struct Live {
        char* p;
        size_t n;
        char fill;
    };
    std::vector<Live> live;
    for (int step = 0; step < 20000; ++step) {
        if (live.empty() || rng() % 100 < 55) {
            const size_t n = 1 + rng() % 3000;
            auto p = heap.alloc(n);
            REQUIRE(p.ok());
            const char fill = static_cast<char>(rng());
            std::memset(*p, fill, n);
            live.push_back({static_cast<char*>(*p), n, fill});
        } else {
            const size_t i = rng() % live.size();
            for (size_t k = 0; k < live[i].n; ++k) REQUIRE(live[i].p[k] == live[i].fill);
            REQUIRE(heap.free(live[i].p).ok());
            live[i] = live.back();
            live.pop_back();
        }
    }
    for (auto& l : live) REQUIRE(heap.free(l.p).ok());
    const HeapStats s = heap.stats();
    CHECK(s.small_in_use == 0);
    CHECK(s.large_in_use == 0);
    CHECK(s.slabs <= Heap::kClasses);  // at most one warm slab per class
}
