// The fixed-width integer and size types every lib/ unit uses.
#pragma once

#include <cstddef>
#include <cstdint>

namespace warden {
using std::int64_t;
using std::size_t;
using std::uint16_t;
using std::uint32_t;
using std::uint64_t;
using std::uint8_t;
}  // namespace warden
