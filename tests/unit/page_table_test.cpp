#include <doctest/doctest.h>

#include <array>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "warden/mm/page_table.hpp"

using namespace warden;
using namespace warden::mm;

namespace {

// Simulated physical memory holding only page-table frames.
class SimMemory final : public TableMemory {
public:
    uint64_t* table(PhysAddr frame) override {
        auto it = frames.find(frame.raw());
        REQUIRE_MESSAGE(it != frames.end(), "walked into a frame that is not a live table");
        return it->second->data();
    }
    Result<PhysAddr> alloc_table() override {
        if (budget == 0) return Fail(Error::kNoMemory);
        --budget;
        const uint64_t pa = next;
        next += kPageSize;
        frames[pa] = std::make_unique<std::array<uint64_t, 512>>();
        frames[pa]->fill(0);
        return PhysAddr(pa);
    }
    void free_table(PhysAddr frame) override {
        REQUIRE(frames.erase(frame.raw()) == 1);
        ++freed;
    }
    std::map<uint64_t, std::unique_ptr<std::array<uint64_t, 512>>> frames;
    uint64_t next = 0x100000000;  // tables live at 4 GiB+, far from mapped addresses
    size_t budget = 100000;
    size_t freed = 0;
};

class RecordTlb final : public TlbSink {
public:
    void invalidate(VirtAddr page) override { pages.push_back(page.raw()); }
    std::vector<uint64_t> pages;
};

struct Fixture {
    Fixture(uint64_t c_bit = 0) : root(*memory.alloc_table()), mapper(root, memory, &tlb, c_bit) {}
    SimMemory memory;
    RecordTlb tlb;
    PhysAddr root;
    Mapper mapper;
};

constexpr MapFlags kRW{.writable = true};
constexpr MapFlags kRX{.executable = true};
constexpr MapFlags kRO{};
constexpr VirtAddr kKernel(0xffffffff80000000);

}  // namespace

TEST_CASE("page table: entry bits match the SDM") {
    CHECK(pte::kPresent == 0x1);
    CHECK(pte::kWritable == 0x2);
    CHECK(pte::kUser == 0x4);
    CHECK(pte::kHuge == 0x80);
    CHECK(pte::kGlobal == 0x100);
    CHECK(pte::kNoExecute == 0x8000000000000000ull);
    CHECK(pte::kOwned == 0x200);  // bit 9: ignored by the CPU (AVL)
    CHECK(pte::kAddressMask == 0x000ffffffffff000ull);
}

TEST_CASE("page table: map and translate at every page size") {
    Fixture f;
    REQUIRE(f.mapper.map(VirtAddr(0x400000), PhysAddr(0x200000), 0x2000, kRW).ok());
    REQUIRE(f.mapper.map(VirtAddr(0x40000000), PhysAddr(0x800000), 0x400000, kRX, PageSize::k2M).ok());
    REQUIRE(f.mapper.map(VirtAddr(0x8000000000), PhysAddr(0x80000000), 0x40000000, kRO, PageSize::k1G).ok());

    auto t = f.mapper.translate(VirtAddr(0x401234));
    REQUIRE(t.ok());
    CHECK(t->phys == PhysAddr(0x201234));
    CHECK(t->size == PageSize::k4K);
    CHECK(t->flags.writable);
    CHECK_FALSE(t->flags.executable);

    t = f.mapper.translate(VirtAddr(0x40312345));
    REQUIRE(t.ok());
    CHECK(t->phys == PhysAddr(0xb12345));
    CHECK(t->size == PageSize::k2M);
    CHECK(t->flags.executable);
    CHECK_FALSE(t->flags.writable);

    t = f.mapper.translate(VirtAddr(0x8012345678));
    REQUIRE(t.ok());
    CHECK(t->phys == PhysAddr(0x92345678));
    CHECK(t->size == PageSize::k1G);
    CHECK_FALSE(t->flags.writable);
    CHECK_FALSE(t->flags.executable);
}

TEST_CASE("page table: translating what is not mapped is an error") {
    Fixture f;
    CHECK(f.mapper.translate(VirtAddr(0x1000)).error() == Error::kNotMapped);
    REQUIRE(f.mapper.map(VirtAddr(0x1000), PhysAddr(0x5000), 0x1000, kRW).ok());
    CHECK(f.mapper.translate(VirtAddr(0x2000)).error() == Error::kNotMapped);
    CHECK(f.mapper.translate(VirtAddr(0x800000000000)).error() == Error::kInvalidArgument);  // non-canonical
}

TEST_CASE("page table: bad map requests are refused and change nothing") {
    Fixture f;
    REQUIRE(f.mapper.map(VirtAddr(0x200000), PhysAddr(0x200000), 0x1000, kRW).ok());
    const size_t tables = f.memory.frames.size();
    struct Bad {
        const char* what;
        uint64_t va, pa, bytes;
        PageSize size;
        Error expected;
    };
    const Bad cases[] = {
        {"va misaligned", 0x1001, 0x1000, 0x1000, PageSize::k4K, Error::kMisaligned},
        {"pa misaligned", 0x1000, 0x1800, 0x1000, PageSize::k4K, Error::kMisaligned},
        {"bytes misaligned", 0x1000, 0x1000, 0x1800, PageSize::k4K, Error::kMisaligned},
        {"2M va misaligned", 0x201000, 0x400000, 0x200000, PageSize::k2M, Error::kMisaligned},
        {"non-canonical", 0x800000000000, 0x1000, 0x1000, PageSize::k4K, Error::kInvalidArgument},
        {"crosses the hole", 0x7ffffffff000, 0x1000, 0x2000, PageSize::k4K, Error::kInvalidArgument},
        {"pa beyond 52 bits", 0x1000, 0x10000000000000, 0x1000, PageSize::k4K, Error::kInvalidArgument},
        {"overlaps a 4K page", 0x1ff000, 0x1000, 0x2000, PageSize::k4K, Error::kAlreadyMapped},
        {"2M over a 4K page", 0x200000, 0x400000, 0x200000, PageSize::k2M, Error::kAlreadyMapped},
    };
    for (const Bad& c : cases) {
        CAPTURE(c.what);
        CHECK(f.mapper.map(VirtAddr(c.va), PhysAddr(c.pa), c.bytes, kRW, c.size).error() == c.expected);
        CHECK(f.memory.frames.size() == tables);
    }
    CHECK(f.mapper.translate(VirtAddr(0x1ff000)).error() == Error::kNotMapped);
    CHECK(f.mapper.translate(VirtAddr(0x200000))->phys == PhysAddr(0x200000));
}

TEST_CASE("page table: running out of table frames rolls the map back") {
    Fixture f;
    f.memory.budget = 3;  // PDPT, PD, PT for the first 2 MiB; the next PT fails
    const size_t before = f.memory.frames.size();
    CHECK(f.mapper.map(VirtAddr(0x1ff000), PhysAddr(0x1000), 0x2000, kRW).error() == Error::kNoMemory);
    CHECK(f.mapper.translate(VirtAddr(0x1ff000)).error() == Error::kNotMapped);
    CHECK(f.memory.frames.size() == before);  // the tables made on the way were freed
}

TEST_CASE("page table: unmap frees tables that become empty, up to the root") {
    Fixture f;
    REQUIRE(f.mapper.map(kKernel, PhysAddr(0x100000), 0x3000, kRW).ok());
    CHECK(f.memory.frames.size() == 4);  // PML4, PDPT, PD, PT
    REQUIRE(f.mapper.unmap(kKernel + 0x1000, 0x1000).ok());
    CHECK(f.memory.frames.size() == 4);  // the PT still holds two pages
    REQUIRE(f.mapper.unmap(kKernel, 0x1000).ok());
    REQUIRE(f.mapper.unmap(kKernel + 0x2000, 0x1000).ok());
    CHECK(f.memory.frames.size() == 1);  // only the PML4 remains
    CHECK(f.memory.freed == 3);
    CHECK(f.mapper.translate(kKernel).error() == Error::kNotMapped);
}

TEST_CASE("page table: unmapping what is not mapped is refused") {
    Fixture f;
    REQUIRE(f.mapper.map(VirtAddr(0x1000), PhysAddr(0x1000), 0x1000, kRW).ok());
    CHECK(f.mapper.unmap(VirtAddr(0x1000), 0x2000).error() == Error::kNotMapped);
    CHECK(f.mapper.translate(VirtAddr(0x1000)).ok());  // nothing changed
    CHECK(f.mapper.unmap(VirtAddr(0x1800), 0x1000).error() == Error::kMisaligned);
}

TEST_CASE("page table: unmapping part of a 2 MiB page splits it") {
    Fixture f;
    REQUIRE(f.mapper.map(VirtAddr(0x200000), PhysAddr(0x600000), 0x200000, kRX, PageSize::k2M).ok());
    REQUIRE(f.mapper.unmap(VirtAddr(0x201000), 0x1000).ok());
    CHECK(f.mapper.translate(VirtAddr(0x201000)).error() == Error::kNotMapped);
    auto t = f.mapper.translate(VirtAddr(0x200000));
    REQUIRE(t.ok());
    CHECK(t->size == PageSize::k4K);
    CHECK(t->phys == PhysAddr(0x600000));
    CHECK(t->flags.executable);
    t = f.mapper.translate(VirtAddr(0x3ff123));
    REQUIRE(t.ok());
    CHECK(t->phys == PhysAddr(0x7ff123));
    CHECK(t->flags == kRX);
}

TEST_CASE("page table: protecting part of a 1 GiB page splits it twice") {
    Fixture f;
    REQUIRE(f.mapper.map(VirtAddr(0x40000000), PhysAddr(0x40000000), 0x40000000, kRW, PageSize::k1G).ok());
    REQUIRE(f.mapper.protect(VirtAddr(0x40201000), 0x1000, kRO).ok());
    auto t = f.mapper.translate(VirtAddr(0x40201000));
    REQUIRE(t.ok());
    CHECK(t->size == PageSize::k4K);
    CHECK_FALSE(t->flags.writable);
    CHECK(f.mapper.translate(VirtAddr(0x40200000))->flags.writable);
    CHECK(f.mapper.translate(VirtAddr(0x40200000))->size == PageSize::k4K);
    CHECK(f.mapper.translate(VirtAddr(0x40400000))->size == PageSize::k2M);
    CHECK(f.mapper.translate(VirtAddr(0x7fffffff))->phys == PhysAddr(0x7fffffff));
}

TEST_CASE("page table: protect changes rights and tells the TLB") {
    Fixture f;
    REQUIRE(f.mapper.map(kKernel, PhysAddr(0x100000), 0x3000, kRW).ok());
    f.tlb.pages.clear();
    REQUIRE(f.mapper.protect(kKernel, 0x2000, kRX).ok());
    CHECK(f.tlb.pages == std::vector<uint64_t>{kKernel.raw(), kKernel.raw() + 0x1000});
    CHECK(f.mapper.translate(kKernel)->flags == kRX);
    CHECK(f.mapper.translate(kKernel + 0x2000)->flags == kRW);
    CHECK(f.mapper.translate(kKernel + 0x1000)->phys == PhysAddr(0x101000));
}

TEST_CASE("page table: user, global, uncached and NX bits land in the leaf") {
    Fixture f;
    const MapFlags user{.writable = true, .user = true};
    REQUIRE(f.mapper.map(VirtAddr(0x1000), PhysAddr(0x9000), 0x1000, user).ok());
    CHECK(f.mapper.translate(VirtAddr(0x1000))->flags == user);
    const MapFlags mmio{.writable = true, .global = true, .uncached = true};
    REQUIRE(f.mapper.map(VirtAddr(0xfee00000), PhysAddr(0xfee00000), 0x1000, mmio).ok());
    CHECK(f.mapper.translate(VirtAddr(0xfee00000))->flags == mmio);
    // Kernel pages sit under supervisor-only intermediate tables.
    REQUIRE(f.mapper.map(kKernel, PhysAddr(0x100000), 0x1000, kRW).ok());
    CHECK_FALSE(f.mapper.translate(kKernel)->flags.user);
}

TEST_CASE("page table: the C-bit is set on encrypted leaves and tables, and never read as address") {
    constexpr uint64_t kCBit = uint64_t{1} << 47;
    Fixture f(kCBit);
    REQUIRE(f.mapper.map(VirtAddr(0x1000), PhysAddr(0x5000), 0x1000, kRW).ok());
    REQUIRE(
        f.mapper.map(VirtAddr(0x2000), PhysAddr(0x6000), 0x1000, MapFlags{.writable = true, .encrypted = false}).ok());
    auto t = f.mapper.translate(VirtAddr(0x1000));
    REQUIRE(t.ok());
    CHECK(t->phys == PhysAddr(0x5000));
    CHECK(t->flags.encrypted);
    CHECK_FALSE(f.mapper.translate(VirtAddr(0x2000))->flags.encrypted);
    CHECK(f.mapper.map(VirtAddr(0x3000), PhysAddr(kCBit | 0x7000), 0x1000, kRW).error() == Error::kInvalidArgument);
    // The PML4 entry carries the C-bit: table frames are private memory too.
    CHECK((f.memory.table(f.root)[0] & kCBit) != 0);
}

TEST_CASE("page table: map_best uses the largest aligned pages") {
    Fixture f;
    // 4K head, 2M body, 4K tail.
    REQUIRE(f.mapper.map_best(VirtAddr(0x1ff000), PhysAddr(0x1ff000), 0x202000, kRW, false).ok());
    CHECK(f.mapper.translate(VirtAddr(0x1ff000))->size == PageSize::k4K);
    CHECK(f.mapper.translate(VirtAddr(0x200000))->size == PageSize::k2M);
    CHECK(f.mapper.translate(VirtAddr(0x400000))->size == PageSize::k4K);
    Fixture g;
    REQUIRE(g.mapper.map_best(VirtAddr(0x40000000), PhysAddr(0x40000000), 0x40000000, kRW, true).ok());
    CHECK(g.mapper.translate(VirtAddr(0x40000000))->size == PageSize::k1G);
}

TEST_CASE("page table: for_each_leaf visits every mapping with effective rights") {
    Fixture f;
    REQUIRE(f.mapper.map(VirtAddr(0x1000), PhysAddr(0x1000), 0x2000, kRW).ok());
    REQUIRE(f.mapper.map(kKernel, PhysAddr(0x200000), 0x200000, kRX, PageSize::k2M).ok());
    std::vector<std::pair<uint64_t, PageSize>> seen;
    f.mapper.for_each_leaf([&](VirtAddr va, const Translation& t) {
        seen.emplace_back(va.raw(), t.size);
        CHECK_FALSE((t.flags.writable && t.flags.executable));
    });
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].first == 0x1000);
    CHECK(seen[1].first == 0x2000);
    CHECK(seen[2] == std::pair<uint64_t, PageSize>{kKernel.raw(), PageSize::k2M});
}

TEST_CASE("page table: a window's leaf slot, rewritten by hand, translates like a mapping") {
    Fixture f(uint64_t{1} << 51);
    REQUIRE(f.mapper.map(VirtAddr(0xffffff8000100000), PhysAddr(0x5000), kPageSize, kRW).ok());
    auto slot = f.mapper.leaf_slot(VirtAddr(0xffffff8000100000));
    REQUIRE(slot.ok());
    **slot = f.mapper.leaf_entry(PhysAddr(0x9000), MapFlags{.writable = true, .encrypted = false});
    auto t = f.mapper.translate(VirtAddr(0xffffff8000100010));
    REQUIRE(t.ok());
    CHECK(t->phys == PhysAddr(0x9010));
    CHECK(t->flags.writable);
    CHECK_FALSE(t->flags.encrypted);
    CHECK_FALSE(t->flags.executable);
    **slot = 0;
    CHECK(f.mapper.translate(VirtAddr(0xffffff8000100000)).error() == Error::kNotMapped);
    CHECK(f.mapper.leaf_slot(VirtAddr(0xffffff8000300000)).error() == Error::kNotMapped);  // no table there
    REQUIRE(f.mapper.map(VirtAddr(0x40000000), PhysAddr(0x800000), 0x200000, kRW, PageSize::k2M).ok());
    CHECK(f.mapper.leaf_slot(VirtAddr(0x40001000)).error() == Error::kInvalidArgument);  // inside a 2 MiB page
    CHECK(f.mapper.leaf_slot(VirtAddr(0x0000900000000000)).error() == Error::kInvalidArgument);
}

TEST_CASE("page table: an owned leaf carries the software bit; a split keeps it; a borrowed one has none") {
    Fixture f;
    REQUIRE(f.mapper.map(VirtAddr(0x400000), PhysAddr(0x5000), kPageSize, MapFlags{.writable = true, .owned = true}));
    REQUIRE(
        f.mapper.map(VirtAddr(0x600000), PhysAddr(0x200000), kLargePageSize, MapFlags{.owned = true}, PageSize::k2M));
    REQUIRE(f.mapper.map(VirtAddr(0x10000000), PhysAddr(0x9000), kPageSize, kRW));
    CHECK(f.mapper.translate(VirtAddr(0x400000))->flags.owned);
    CHECK(!f.mapper.translate(VirtAddr(0x10000000))->flags.owned);
    REQUIRE(f.mapper.unmap(VirtAddr(0x600000), kPageSize));  // splits the 2 MiB page
    CHECK(f.mapper.translate(VirtAddr(0x601000))->flags.owned);
}

TEST_CASE("page table: releasing the lower half visits every leaf, frees its tables and leaves the upper half") {
    Fixture f;
    REQUIRE(f.mapper.map(VirtAddr(0x400000), PhysAddr(0x5000), 3 * kPageSize, MapFlags{.owned = true}));
    REQUIRE(f.mapper.map(VirtAddr(0x7ffeffffc000), PhysAddr(0x10000), kPageSize, MapFlags{.owned = true}));
    REQUIRE(f.mapper.map(VirtAddr(0x10000000), PhysAddr(0x9000), kPageSize, kRW));
    REQUIRE(f.mapper.map(VirtAddr(0x8000000000), PhysAddr(0x40000000), kLargePageSize, kRW, PageSize::k2M));
    REQUIRE(f.mapper.map(kKernel, PhysAddr(0x1000000), kPageSize, kRX));
    const size_t kernel_tables = 3;  // PDPT, PD, PT below slot 511
    const size_t before = f.memory.frames.size();
    std::vector<std::pair<uint64_t, bool>> seen;
    f.mapper.release_slots(0, 256, [&](VirtAddr va, const Translation& t) {
        seen.emplace_back(va.raw(), t.flags.owned);
        CHECK(t.phys.raw() != 0);
    });
    const std::vector<std::pair<uint64_t, bool>> expected = {{0x400000, true},      {0x401000, true},
                                                             {0x402000, true},      {0x10000000, false},
                                                             {0x8000000000, false}, {0x7ffeffffc000, true}};
    CHECK(seen == expected);                             // in address order
    CHECK(f.memory.frames.size() == 1 + kernel_tables);  // the root and the kernel half's tables
    CHECK(f.memory.freed == before - 1 - kernel_tables);
    CHECK(!f.mapper.translate(VirtAddr(0x400000)));
    CHECK(f.mapper.translate(kKernel));
    for (unsigned i = 0; i < 256; ++i) CHECK(f.memory.table(f.root)[i] == 0);
    // Nothing left below: a second release visits nothing.
    f.mapper.release_slots(0, 256, [&](VirtAddr, const Translation&) { FAIL("a leaf survived"); });
}
