#include <doctest/doctest.h>

#include <map>
#include <random>
#include <vector>

#include "warden/mm/buddy.hpp"

using namespace warden;
using namespace warden::mm;

namespace {

// A buddy over `frames` frames starting at physical 0, all of them free.
struct Fixture {
    explicit Fixture(size_t frames, PhysAddr base = PhysAddr(0)) : info(frames) {
        REQUIRE(buddy.init(base, info).ok());
    }
    std::vector<FrameInfo> info;
    BuddyAllocator buddy;
};

constexpr uint64_t kMiB = 1 << 20;

}  // namespace

TEST_CASE("buddy: order_for_bytes is the smallest block that holds the bytes, and never overflows") {
    CHECK(BuddyAllocator::order_for_bytes(0) == 0);
    CHECK(BuddyAllocator::order_for_bytes(1) == 0);
    CHECK(BuddyAllocator::order_for_bytes(4096) == 0);
    CHECK(BuddyAllocator::order_for_bytes(4097) == 1);
    CHECK(BuddyAllocator::order_for_bytes(64 << 10) == 4);
    CHECK(BuddyAllocator::order_for_bytes(4 << 20) == BuddyAllocator::kMaxOrder);
    CHECK(BuddyAllocator::order_for_bytes((4 << 20) + 1) == BuddyAllocator::kMaxOrder + 1);
    CHECK(BuddyAllocator::order_for_bytes(~uint64_t{0}) == BuddyAllocator::kMaxOrder + 1);
}

TEST_CASE("buddy: a fresh range is carved into the largest aligned blocks") {
    Fixture f(2048);  // 8 MiB
    REQUIRE(f.buddy.add_free_range(PhysRange{PhysAddr(0), 8 * kMiB}).ok());
    CHECK(f.buddy.free_frames() == 2048);
    CHECK(f.buddy.free_blocks(BuddyAllocator::kMaxOrder) == 2);
    for (unsigned o = 0; o < BuddyAllocator::kMaxOrder; ++o) CHECK(f.buddy.free_blocks(o) == 0);
}

TEST_CASE("buddy: an unaligned range yields smaller blocks at its edges") {
    Fixture f(2048);
    // Frames 1..1026: 1 (order 0), 2-3 (1), 4-7 (2) ... 512-1023 (9), 1024-1025 (1), 1026 (0)
    REQUIRE(f.buddy.add_free_range(PhysRange{PhysAddr(0x1000), 1026 * kPageSize}).ok());
    CHECK(f.buddy.free_frames() == 1026);
    CHECK(f.buddy.free_blocks(0) == 2);
    CHECK(f.buddy.free_blocks(1) == 2);
    CHECK(f.buddy.free_blocks(9) == 1);
    CHECK(f.buddy.free_blocks(10) == 0);
}

TEST_CASE("buddy: blocks are aligned to their size") {
    Fixture f(4096);
    REQUIRE(f.buddy.add_free_range(PhysRange{PhysAddr(0x3000), 4000 * kPageSize}).ok());
    for (unsigned order = 0; order <= BuddyAllocator::kMaxOrder; ++order) {
        auto a = f.buddy.alloc(order);
        REQUIRE(a.ok());
        CHECK(a->is_aligned(kPageSize << order));
    }
}

TEST_CASE("buddy: freeing both halves merges them") {
    Fixture f(1024);
    REQUIRE(f.buddy.add_free_range(PhysRange{PhysAddr(0), 4 * kMiB}).ok());
    auto a = f.buddy.alloc(0);
    auto b = f.buddy.alloc(0);
    REQUIRE((a.ok() && b.ok()));
    CHECK(f.buddy.free_blocks(BuddyAllocator::kMaxOrder) == 0);
    CHECK(f.buddy.free(*a, 0).ok());
    CHECK(f.buddy.free(*b, 0).ok());
    CHECK(f.buddy.free_blocks(BuddyAllocator::kMaxOrder) == 1);
    for (unsigned o = 0; o < BuddyAllocator::kMaxOrder; ++o) CHECK(f.buddy.free_blocks(o) == 0);
    CHECK(f.buddy.free_frames() == 1024);
}

TEST_CASE("buddy: exhaustion is an error and recovers after a free") {
    Fixture f(16);
    REQUIRE(f.buddy.add_free_range(PhysRange{PhysAddr(0), 16 * kPageSize}).ok());
    std::vector<PhysAddr> got;
    for (int i = 0; i < 16; ++i) {
        auto a = f.buddy.alloc(0);
        REQUIRE(a.ok());
        got.push_back(*a);
    }
    CHECK(f.buddy.alloc(0).error() == Error::kNoMemory);
    CHECK(f.buddy.alloc(3).error() == Error::kNoMemory);
    CHECK(f.buddy.free(got[5], 0).ok());
    CHECK(f.buddy.alloc(0).value_or(PhysAddr(1)) == got[5]);
    CHECK(f.buddy.alloc(BuddyAllocator::kMaxOrder + 1).error() == Error::kInvalidArgument);
}

TEST_CASE("buddy: double free, wrong order and foreign frames are detected and change nothing") {
    Fixture f(1024, PhysAddr(4 * kMiB));
    REQUIRE(f.buddy.add_free_range(PhysRange{PhysAddr(4 * kMiB + kPageSize), 100 * kPageSize}).ok());
    auto a = f.buddy.alloc(2);
    REQUIRE(a.ok());
    const uint64_t free_before = f.buddy.free_frames();
    CHECK(f.buddy.free(*a, 1).error() == Error::kWrongOrder);
    CHECK(f.buddy.free(*a + kPageSize, 0).error() == Error::kNotOwned);       // a tail frame
    CHECK(f.buddy.free(PhysAddr(4 * kMiB), 0).error() == Error::kNotOwned);   // reserved frame 0
    CHECK(f.buddy.free(PhysAddr(0), 0).error() == Error::kNotOwned);          // below the span
    CHECK(f.buddy.free(PhysAddr(64 * kMiB), 0).error() == Error::kNotOwned);  // above it
    CHECK(f.buddy.free(*a + 1, 2).error() == Error::kNotOwned);               // not frame aligned
    CHECK(f.buddy.free_frames() == free_before);
    REQUIRE(f.buddy.free(*a, 2).ok());
    CHECK(f.buddy.free(*a, 2).error() == Error::kDoubleFree);
    CHECK(f.buddy.free_frames() == free_before + 4);
}

TEST_CASE("buddy: init and add_free_range refuse bad spans") {
    std::vector<FrameInfo> info(1024);
    BuddyAllocator b;
    CHECK(b.init(PhysAddr(0x1000), info).error() == Error::kMisaligned);
    REQUIRE(b.init(PhysAddr(0), info).ok());
    CHECK(b.add_free_range(PhysRange{PhysAddr(0), 1025 * kPageSize}).error() == Error::kOutOfRange);
    REQUIRE(b.add_free_range(PhysRange{PhysAddr(0), 8 * kPageSize}).ok());
    CHECK(b.add_free_range(PhysRange{PhysAddr(4 * kPageSize), 8 * kPageSize}).error() == Error::kOverlap);
    CHECK(b.free_frames() == 8);
    CHECK(b.add_free_range(PhysRange{PhysAddr(0x10800), 0x400}).ok());  // no whole frame: nothing added
    CHECK(b.free_frames() == 8);
}

TEST_CASE("buddy: alloc_below only returns blocks under the limit") {
    Fixture f(2048);
    REQUIRE(f.buddy.add_free_range(PhysRange{PhysAddr(0), 8 * kMiB}).ok());
    for (int i = 0; i < 100; ++i) {
        auto a = f.buddy.alloc_below(0, PhysAddr(kMiB));
        REQUIRE(a.ok());
        CHECK(*a + kPageSize <= PhysAddr(kMiB));
    }
    CHECK(f.buddy.alloc_below(9, PhysAddr(kMiB)).error() == Error::kNoMemory);
}

TEST_CASE("buddy: recorded state and order follow the block") {
    Fixture f(1024);
    REQUIRE(f.buddy.add_free_range(PhysRange{PhysAddr(0), 4 * kMiB}).ok());
    auto a = f.buddy.alloc(1, FrameState::kPageTable);
    REQUIRE(a.ok());
    CHECK(f.buddy.info(*a)->state == FrameState::kPageTable);
    CHECK(f.buddy.info(*a + kPageSize)->state == FrameState::kTail);
    CHECK(*f.buddy.allocated_order(*a) == 1);
    CHECK(f.buddy.set_state(*a, FrameState::kSlab, 7).ok());
    CHECK(f.buddy.info(*a)->aux == 7);
    CHECK(f.buddy.set_state(*a, FrameState::kFree).error() == Error::kInvalidArgument);
    CHECK(f.buddy.set_state(*a + kPageSize, FrameState::kSlab).error() == Error::kNotOwned);
    CHECK(f.buddy.alloc(0, FrameState::kFree).error() == Error::kInvalidArgument);
}

TEST_CASE("buddy: random alloc/free sequences match a simple model") {
    constexpr size_t kFrames = 4096;
    Fixture f(kFrames);
    // Two ranges with a hole, so coalescing meets reserved frames.
    REQUIRE(f.buddy.add_free_range(PhysRange{PhysAddr(0x5000), 1500 * kPageSize}).ok());
    REQUIRE(f.buddy.add_free_range(PhysRange{PhysAddr(2000 * kPageSize), 2000 * kPageSize}).ok());
    const uint64_t total = f.buddy.free_frames();
    std::vector<bool> owned_by_model(kFrames, false);  // frame handed out?
    std::map<uint64_t, unsigned> live;                 // block address -> order
    std::mt19937_64 rng(12345);
    for (int step = 0; step < 20000; ++step) {
        const bool do_alloc = live.empty() || rng() % 100 < 55;
        if (do_alloc) {
            const unsigned order = static_cast<unsigned>(rng() % 6);
            auto a = f.buddy.alloc(order);
            if (!a) {
                CHECK(a.error() == Error::kNoMemory);
                continue;
            }
            const uint64_t first = a->raw() / kPageSize;
            REQUIRE(a->is_aligned(kPageSize << order));
            for (uint64_t i = first; i < first + (uint64_t{1} << order); ++i) {
                REQUIRE_FALSE(owned_by_model[i]);  // never handed out twice
                owned_by_model[i] = true;
            }
            live[a->raw()] = order;
        } else {
            auto it = live.begin();
            std::advance(it, static_cast<long>(rng() % live.size()));
            REQUIRE(f.buddy.free(PhysAddr(it->first), it->second).ok());
            const uint64_t first = it->first / kPageSize;
            for (uint64_t i = first; i < first + (uint64_t{1} << it->second); ++i) owned_by_model[i] = false;
            live.erase(it);
        }
        uint64_t in_use = 0;
        for (const auto& [addr, order] : live) in_use += uint64_t{1} << order;
        REQUIRE(f.buddy.free_frames() == total - in_use);
    }
    for (const auto& [addr, order] : live) REQUIRE(f.buddy.free(PhysAddr(addr), order).ok());
    CHECK(f.buddy.free_frames() == total);
    // Everything merged back: the same block census as a fresh allocator.
    Fixture fresh(kFrames);
    REQUIRE(fresh.buddy.add_free_range(PhysRange{PhysAddr(0x5000), 1500 * kPageSize}).ok());
    REQUIRE(fresh.buddy.add_free_range(PhysRange{PhysAddr(2000 * kPageSize), 2000 * kPageSize}).ok());
    for (unsigned o = 0; o <= BuddyAllocator::kMaxOrder; ++o)
        CHECK(f.buddy.free_blocks(o) == fresh.buddy.free_blocks(o));
}
