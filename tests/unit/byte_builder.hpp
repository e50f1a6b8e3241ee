// Building binary test inputs: little-endian stores into a byte vector.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace test_bytes {

using Bytes = std::vector<uint8_t>;

// Writes the low n bytes of v at b[at..at+n), little endian.
inline void put_le(Bytes& b, size_t at, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace test_bytes
