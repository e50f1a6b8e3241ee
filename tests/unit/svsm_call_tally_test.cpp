#include <doctest/doctest.h>

#include "warden/svsm/call_tally.hpp"
#include "warden/svsm/core.hpp"

using namespace warden;
using namespace warden::svsm;

namespace {
uint64_t rax(uint32_t protocol, uint32_t call) { return uint64_t{protocol} << 32 | call; }
}  // namespace

// The names are the SVSM spec's (58019, as SPEC-FACTS 7 lists them); the
// RAX encoding is protocol in bits 63:32, call in 31:0.
TEST_CASE("svsm call_tally: names of the calls Warden serves; unknown ones have none") {
    CHECK(std::string_view(call_name(0, 1)) == "CORE_PVALIDATE");
    CHECK(std::string_view(call_name(0, 6)) == "CORE_QUERY_PROTOCOL");
    CHECK(std::string_view(call_name(0, 2)) == "CORE_CREATE_VCPU");
    CHECK(std::string_view(call_name(1, 0)) == "ATTEST_SERVICES");
    CHECK(call_name(0, 8) == nullptr);
    CHECK(call_name(2, 0) == nullptr);
    CHECK(call_name(0xffffffff, 0xffffffff) == nullptr);
}

TEST_CASE("svsm call_tally: first of each kind, counts, and the line in order of first use") {
    CallTally t;
    CHECK(t.record(rax(0, 6)));
    CHECK(t.record(rax(0, 1)));
    CHECK_FALSE(t.record(rax(0, 1)));
    CHECK_FALSE(t.record(rax(0, 1)));
    CHECK(t.record(rax(7, 9)));
    CHECK(t.total() == 5);
    CHECK(t.count(rax(0, 1)) == 3);
    CHECK(t.count(rax(0, 2)) == 0);
    fmt::FixedString<200> line;
    t.describe(line);
    CHECK(line.view() == "5 calls: CORE_QUERY_PROTOCOL 1, CORE_PVALIDATE 3, 7:9 1");
}

TEST_CASE("svsm call_tally: past 16 kinds the rest count as other, said once") {
    CallTally t;
    for (uint32_t i = 0; i < CallTally::kKinds; ++i) CHECK(t.record(rax(9, i)));
    CHECK(t.record(rax(9, 100)));        // the first "other" is said
    CHECK_FALSE(t.record(rax(9, 101)));  // later ones are not
    CHECK(t.total() == CallTally::kKinds + 2);
    fmt::FixedString<400> line;
    t.describe(line);
    CHECK(line.view().ends_with(", other 2"));
}

// The request loop writes the line into a log-sized buffer: sixteen named
// kinds with large counts do not fit 64 bytes, and the sink says so rather
// than overrunning (the loop prints what fits).
TEST_CASE("svsm call_tally: a line longer than its buffer is cut, and says so") {
    CallTally t;
    for (uint32_t i = 0; i < 8; ++i) {
        for (int n = 0; n < 1000; ++n) t.record(uint64_t{0} << 32 | i);
    }
    fmt::FixedString<64> line;
    t.describe(line);
    CHECK(line.truncated());
    CHECK(line.view().size() <= 64);
    CHECK(line.view().starts_with("8000 calls: CORE_REMAP_CA 1000, CORE_PVALIDATE 1000"));
}
