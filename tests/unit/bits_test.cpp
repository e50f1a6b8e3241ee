#include <doctest/doctest.h>

#include "warden/bits.hpp"

using namespace warden;

TEST_CASE("bits: single bits and masks") {
    CHECK(bit(0) == 1);
    CHECK(bit(63) == 0x8000000000000000ull);
    CHECK(bit<uint8_t>(7) == 0x80);
    CHECK(bit_mask(4, 4) == 0xf0);
    CHECK(bit_mask(0, 64) == ~uint64_t{0});
    CHECK(bit_mask<uint32_t>(0, 32) == 0xffffffffu);
    CHECK(bit_mask<uint32_t>(12, 20) == 0xfffff000u);
    CHECK(test_bit(uint64_t{0x10}, 4));
    CHECK_FALSE(test_bit(uint64_t{0x10}, 3));
}

// The PTE physical address field, bits 51:12 (SDM Vol. 3A table 4-19).
using PteAddress = BitField<uint64_t, 12, 40>;

TEST_CASE("bits: a field reads and writes only its bits") {
    const uint64_t pte = 0x8000000012345067ull;
    CHECK(PteAddress::get(pte) == 0x12345);
    const uint64_t moved = PteAddress::set(pte, 0xabcde);
    CHECK(moved == 0x80000000abcde067ull);
    CHECK(PteAddress::kMask == 0x000ffffffffff000ull);
}

TEST_CASE("bits: values wider than the field are truncated, and fits() says so") {
    using Nibble = BitField<uint8_t, 2, 4>;
    CHECK(Nibble::fits(15));
    CHECK_FALSE(Nibble::fits(16));
    CHECK(Nibble::set(0, 0x1f) == 0x3c);  // only the low four bits land
    CHECK(Nibble::get(0xff) == 0xf);
    using Whole = BitField<uint32_t, 0, 32>;
    CHECK(Whole::get(0xdeadbeef) == 0xdeadbeef);
}
