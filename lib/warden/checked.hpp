// Overflow-checked integer arithmetic for sizes and addresses that come from
// untrusted input: every operation returns Error::kOverflow instead of wrapping.
#pragma once

#include <concepts>
#include <limits>

#include "warden/addr.hpp"
#include "warden/result.hpp"

namespace warden {

template <std::unsigned_integral T>
constexpr Result<T> checked_add(T a, T b) {
    T out;
    if (__builtin_add_overflow(a, b, &out)) return Fail(Error::kOverflow);
    return out;
}

template <std::unsigned_integral T>
constexpr Result<T> checked_sub(T a, T b) {
    T out;
    if (__builtin_sub_overflow(a, b, &out)) return Fail(Error::kOverflow);
    return out;
}

template <std::unsigned_integral T>
constexpr Result<T> checked_mul(T a, T b) {
    T out;
    if (__builtin_mul_overflow(a, b, &out)) return Fail(Error::kOverflow);
    return out;
}

// Round v up to a power-of-two alignment without wrapping past the type's top.
template <std::unsigned_integral T>
constexpr Result<T> checked_align_up(T v, T align) {
    if (!is_power_of_two(align)) return Fail(Error::kInvalidArgument);
    auto sum = checked_add<T>(v, align - 1);
    if (!sum) return Fail(Error::kOverflow);
    return static_cast<T>(*sum & ~(align - 1));
}

// Narrow a value to a smaller type, failing if it does not fit.
template <std::unsigned_integral To, std::unsigned_integral From>
constexpr Result<To> checked_cast(From v) {
    if (v > std::numeric_limits<To>::max()) return Fail(Error::kOverflow);
    return static_cast<To>(v);
}

// The end of [base, base + size) when it does not wrap.
constexpr Result<uint64_t> checked_end(uint64_t base, uint64_t size) { return checked_add<uint64_t>(base, size); }

}  // namespace warden
