// Bit-field helpers for hardware registers and table entries: a named field is
// a (shift, width) pair, so encodings read like the spec's tables.
#pragma once

#include <concepts>
#include <limits>

#include "warden/types.hpp"

namespace warden {

template <std::unsigned_integral T = uint64_t>
constexpr T bit(unsigned n) {
    return static_cast<T>(T{1} << n);
}

// A mask of `width` ones starting at bit `shift`; width may be the full type.
template <std::unsigned_integral T = uint64_t>
constexpr T bit_mask(unsigned shift, unsigned width) {
    constexpr unsigned kBits = std::numeric_limits<T>::digits;
    const T ones = width >= kBits ? std::numeric_limits<T>::max() : static_cast<T>((T{1} << width) - 1);
    return static_cast<T>(ones << shift);
}

template <std::unsigned_integral T>
constexpr bool test_bit(T v, unsigned n) {
    return (v >> n) & 1u;
}

// A field of Width bits at Shift within a T: Field::get(reg), Field::set(reg, v).
template <std::unsigned_integral T, unsigned Shift, unsigned Width>
struct BitField {
    static_assert(Width > 0 && Shift + Width <= std::numeric_limits<T>::digits, "field outside the type");
    static constexpr T kMask = bit_mask<T>(Shift, Width);
    static constexpr T kMax = bit_mask<T>(0, Width);

    static constexpr T get(T reg) { return static_cast<T>((reg & kMask) >> Shift); }
    // Values wider than the field are truncated to it: fits() lets callers check first.
    static constexpr T set(T reg, T value) {
        return static_cast<T>((reg & ~kMask) | ((static_cast<T>(value << Shift)) & kMask));
    }
    static constexpr bool fits(T value) { return value <= kMax; }
};

}  // namespace warden
