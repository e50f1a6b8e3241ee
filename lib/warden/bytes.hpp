// Little- and big-endian loads (and little-endian stores) on byte spans, for parsers of untrusted input.
// Callers check the span's length first; these never read past offset + width.
#pragma once

#include <span>
#include <string_view>

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

// Lower-case hex of `bytes` into `out`, two characters a byte, as many
// bytes as fit: the text written.
constexpr std::string_view to_hex(std::span<const uint8_t> bytes, std::span<char> out) {
    constexpr char kHex[] = "0123456789abcdef";
    size_t n = 0;
    for (size_t i = 0; i < bytes.size() && n + 2 <= out.size(); ++i) {
        out[n++] = kHex[bytes[i] >> 4];
        out[n++] = kHex[bytes[i] & 15];
    }
    return {out.data(), n};
}

}  // namespace warden
