// Strong types for physical and virtual addresses, and the alignment helpers
// every memory unit uses. Conversions between the two are named functions in
// the kernel's memory code, never casts.
#pragma once

#include <compare>
#include <cstdint>

namespace warden {

inline constexpr uint64_t kPageSize = 4096;             // x86-64 base page (SDM Vol. 3A 4.5)
inline constexpr uint64_t kLargePageSize = 2ull << 20;  // 2 MiB page (PDE.PS)
inline constexpr uint64_t kHugePageSize = 1ull << 30;   // 1 GiB page (PDPTE.PS)

constexpr bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Alignment must be a power of two; callers pass constants, so a bad one is a
// programming error and the result is unspecified rather than checked.
constexpr uint64_t align_down(uint64_t v, uint64_t align) { return v & ~(align - 1); }
constexpr bool is_aligned(uint64_t v, uint64_t align) { return (v & (align - 1)) == 0; }
// align_up wraps past 2^64; use checked_align_up (checked.hpp) on untrusted values.
constexpr uint64_t align_up(uint64_t v, uint64_t align) { return (v + align - 1) & ~(align - 1); }
// [base, base + size) lies inside one `block`-aligned block of `block` bytes
// (size > 0, no wrap): what one page-table entry of that size covers.
constexpr bool within_one_block(uint64_t base, uint64_t size, uint64_t block) {
    return base / block == (base + size - 1) / block;
}

template <typename Tag>
class Address {
public:
    constexpr Address() = default;
    constexpr explicit Address(uint64_t raw) : raw_(raw) {}

    constexpr uint64_t raw() const { return raw_; }
    constexpr bool is_aligned(uint64_t align) const { return warden::is_aligned(raw_, align); }
    constexpr Address align_down(uint64_t align) const { return Address(warden::align_down(raw_, align)); }
    constexpr Address align_up(uint64_t align) const { return Address(warden::align_up(raw_, align)); }
    constexpr uint64_t page_offset() const { return raw_ & (kPageSize - 1); }

    constexpr Address operator+(uint64_t off) const { return Address(raw_ + off); }
    constexpr Address operator-(uint64_t off) const { return Address(raw_ - off); }
    constexpr Address& operator+=(uint64_t off) {
        raw_ += off;
        return *this;
    }
    // Distance between two addresses of the same kind; a < b is the caller's bug.
    constexpr uint64_t operator-(Address other) const { return raw_ - other.raw_; }
    constexpr auto operator<=>(const Address&) const =
        default;  // NOLINT(modernize-use-nullptr): clang-tidy 14 misreads <=>

private:
    uint64_t raw_ = 0;
};

struct PhysTag {};
struct VirtTag {};
struct GuestPhysTag {};
using PhysAddr = Address<PhysTag>;
using VirtAddr = Address<VirtTag>;
// A guest-physical address as the host sees it (what its nested page tables
// translate), never to be mixed with the host's own PhysAddr.
using GuestPhysAddr = Address<GuestPhysTag>;

// A virtual address is canonical when bits 63..47 all equal bit 47
// (SDM Vol. 1 3.3.7.1, 4-level paging).
constexpr bool is_canonical(VirtAddr va) {
    const auto top = static_cast<int64_t>(va.raw()) >> 47;
    return top == 0 || top == -1;
}

// A half-open physical range [base, base + size).
struct PhysRange {
    PhysAddr base;
    uint64_t size = 0;

    constexpr PhysAddr end() const { return base + size; }
    constexpr bool contains(PhysAddr a) const { return a >= base && a - base < size; }
    // All of o lies inside (an empty o at base or inside counts).
    constexpr bool contains(const PhysRange& o) const {
        return o.base >= base && o.base - base <= size && o.size <= size - (o.base - base);
    }
    constexpr bool overlaps(const PhysRange& o) const {
        return size != 0 && o.size != 0 && base < o.end() && o.base < end();
    }
};

}  // namespace warden
