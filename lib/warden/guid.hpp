// GUIDs as firmware and SVSM structures store them: 16 bytes, the first
// three fields little endian ("mixed endian", EFI_GUID). guid("8-4-4-4-12")
// builds one from its text at compile time.
#pragma once

#include <array>

#include "warden/types.hpp"

namespace warden {

using Guid = std::array<uint8_t, 16>;

namespace detail {
constexpr uint8_t hex_digit(char c) {
    return static_cast<uint8_t>(c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10);
}
constexpr uint8_t hex_byte(const char* s, size_t at) {
    return static_cast<uint8_t>(hex_digit(s[at]) << 4 | hex_digit(s[at + 1]));
}
}  // namespace detail

// text: exactly "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
constexpr Guid guid(const char (&text)[37]) {
    // Byte positions of each output byte in the text, per the stored layout.
    constexpr size_t kAt[16] = {6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34};
    Guid g{};
    for (size_t i = 0; i < 16; ++i) g[i] = detail::hex_byte(text, kAt[i]);
    return g;
}

}  // namespace warden
