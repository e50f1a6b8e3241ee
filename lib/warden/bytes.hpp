// Little- and big-endian loads (and little-endian stores) on byte spans, for parsers of untrusted input.
// Callers check the span's length first; these never read past offset + width.
#pragma once

#include <span>

#include "warden/types.hpp"

namespace warden {

template <typename T>
constexpr T load_le(std::span<const uint8_t> b, size_t offset) {
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>(v | (static_cast<T>(b[offset + i]) << (8 * i)));
    return v;
}

template <typename T>
constexpr void store_le(std::span<uint8_t> b, size_t offset, T v) {
    for (size_t i = 0; i < sizeof(T); ++i) b[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

template <typename T>
constexpr T load_be(std::span<const uint8_t> b, size_t offset) {
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | b[offset + i]);
    return v;
}

}  // namespace warden
