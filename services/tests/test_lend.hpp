// What services/tests/lend_client.cpp asks of services/tests/lend_server.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace test_lend {

enum class Label : uint64_t {
    kReadWrite = 1,    // the server reads the lend, sums it, writes it back inverted
    kGiveUp = 2,       // the server holds the call; the caller's timeout gives it up
    kAfterGiveUp = 3,  // the server tries the given-up call's lend and right
    kNoLend = 4,       // a call that lends nothing
};
inline constexpr size_t kMaxBytes = 3 * 4096;

}  // namespace test_lend
