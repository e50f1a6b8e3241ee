#include "warden/bytes.hpp"

#include <doctest/doctest.h>

#include <array>

using namespace warden;

TEST_CASE("bytes: to_hex writes two lower-case digits a byte, as many bytes as fit") {
    const std::array<uint8_t, 4> b{0x00, 0x9f, 0xa0, 0xff};
    char out[8];
    CHECK(to_hex(b, out) == "009fa0ff");
    char short_out[5];
    CHECK(to_hex(b, short_out) == "009f");  // two whole bytes; no half byte
    CHECK(to_hex({}, out).empty());
    CHECK(to_hex(b, std::span<char>()).empty());
}

TEST_CASE("bytes: little-endian loads and stores round-trip; big-endian loads") {
    std::array<uint8_t, 8> b{};
    store_le<uint32_t>(b, 2, 0x11223344);
    CHECK(b[2] == 0x44);
    CHECK(b[5] == 0x11);
    CHECK(load_le<uint32_t>(b, 2) == 0x11223344);
    CHECK(load_be<uint16_t>(b, 2) == 0x4433);
}
