#include <doctest/doctest.h>

#include "warden/addr.hpp"

using namespace warden;

TEST_CASE("addr: page size constants match the SDM") {
    CHECK(kPageSize == 0x1000);
    CHECK(kLargePageSize == 0x200000);
    CHECK(kHugePageSize == 0x40000000);
}

TEST_CASE("addr: alignment helpers round to the boundary") {
    CHECK(align_down(0x1fff, kPageSize) == 0x1000);
    CHECK(align_up(0x1001, kPageSize) == 0x2000);
    CHECK(align_up(0x1000, kPageSize) == 0x1000);
    CHECK(align_up(0, kPageSize) == 0);
    CHECK(is_aligned(0x200000, kLargePageSize));
    CHECK_FALSE(is_aligned(0x201000, kLargePageSize));
}

TEST_CASE("addr: within_one_block is one aligned block, both ends counted") {
    constexpr uint64_t kGiB = uint64_t{1} << 30;
    CHECK(within_one_block(0, kGiB, kGiB));
    CHECK(within_one_block(512 * kGiB, 32 << 20, kGiB));
    CHECK(within_one_block(kGiB - 4096, 4096, kGiB));
    CHECK_FALSE(within_one_block(kGiB - 4096, 8192, kGiB));  // one page each side
    CHECK_FALSE(within_one_block(0, kGiB + 1, kGiB));
    CHECK(within_one_block(3, 1, 4));
    CHECK_FALSE(within_one_block(3, 2, 4));
}

TEST_CASE("addr: power of two excludes zero") {
    CHECK(is_power_of_two(1));
    CHECK(is_power_of_two(uint64_t{1} << 63));
    CHECK_FALSE(is_power_of_two(0));
    CHECK_FALSE(is_power_of_two(6));
}

TEST_CASE("addr: strong types keep their kind and compare") {
    const PhysAddr p(0x12345);
    CHECK(p.align_down(kPageSize) == PhysAddr(0x12000));
    CHECK(p.align_up(kPageSize) == PhysAddr(0x13000));
    CHECK(p.page_offset() == 0x345);
    CHECK((p + 0x10).raw() == 0x12355);
    CHECK(PhysAddr(0x3000) - PhysAddr(0x1000) == 0x2000);
    CHECK(PhysAddr(1) < PhysAddr(2));
    static_assert(!std::is_convertible_v<PhysAddr, VirtAddr>, "addresses of different kinds must not mix");
    static_assert(!std::is_convertible_v<GuestPhysAddr, PhysAddr> && !std::is_convertible_v<PhysAddr, GuestPhysAddr>,
                  "a guest-physical address is not a host-physical one");
    static_assert(!std::is_convertible_v<uint64_t, PhysAddr>, "raw integers need an explicit constructor");
}

TEST_CASE("addr: canonical addresses sign-extend bit 47") {
    CHECK(is_canonical(VirtAddr(0x00007fffffffffff)));
    CHECK(is_canonical(VirtAddr(0xffff800000000000)));
    CHECK(is_canonical(VirtAddr(0xffffffff80000000)));
    CHECK_FALSE(is_canonical(VirtAddr(0x0000800000000000)));
    CHECK_FALSE(is_canonical(VirtAddr(0xfff0000000000000)));
}

TEST_CASE("addr: ranges are half open") {
    const PhysRange r{PhysAddr(0x1000), 0x1000};
    CHECK(r.contains(PhysAddr(0x1000)));
    CHECK(r.contains(PhysAddr(0x1fff)));
    CHECK_FALSE(r.contains(PhysAddr(0x2000)));
    CHECK_FALSE(r.contains(PhysAddr(0xfff)));
    CHECK(r.overlaps(PhysRange{PhysAddr(0x1fff), 1}));
    CHECK_FALSE(r.overlaps(PhysRange{PhysAddr(0x2000), 0x1000}));
    CHECK_FALSE(r.overlaps(PhysRange{PhysAddr(0x1800), 0}));
}

TEST_CASE("addr: a range contains another only whole, and without wrapping") {
    const PhysRange r{PhysAddr(0x1000), 0x2000};
    CHECK(r.contains(PhysRange{PhysAddr(0x1000), 0x2000}));
    CHECK(r.contains(PhysRange{PhysAddr(0x2000), 0x1000}));
    CHECK(r.contains(PhysRange{PhysAddr(0x3000), 0}));
    CHECK_FALSE(r.contains(PhysRange{PhysAddr(0x2000), 0x1001}));
    CHECK_FALSE(r.contains(PhysRange{PhysAddr(0xfff), 0x10}));
    CHECK_FALSE(r.contains(PhysRange{PhysAddr(0x2000), ~uint64_t{0}}));
    CHECK_FALSE(r.contains(PhysRange{PhysAddr(0x3001), 0}));
}
