#include <doctest/doctest.h>

#include <string>

#include "warden/x86/exceptions.hpp"

using namespace warden;

namespace {
struct StringSink final : fmt::Sink {
    void write(std::string_view t) override { s.append(t); }
    std::string s;
};
std::string pf(uint64_t code) {
    StringSink out;
    x86::describe_page_fault(out, code);
    return out.s;
}
}  // namespace

TEST_CASE("exceptions: vectors and names follow SDM table 6-1") {
    CHECK(std::string(x86::exception_info(0).mnemonic) == "#DE");
    CHECK(std::string(x86::exception_info(6).mnemonic) == "#UD");
    CHECK(std::string(x86::exception_info(8).mnemonic) == "#DF");
    CHECK(std::string(x86::exception_info(13).mnemonic) == "#GP");
    CHECK(std::string(x86::exception_info(14).name) == "page fault");
    CHECK(std::string(x86::exception_info(29).mnemonic) == "#VC");  // AMD APM Vol. 2 15.35.5
    CHECK(std::string(x86::exception_info(40).name) == "external interrupt");
}

TEST_CASE("exceptions: exactly the architectural vectors push an error code") {
    for (unsigned v = 0; v < x86::kExceptionVectors; ++v) {
        const bool expected =
            v == 8 || v == 10 || v == 11 || v == 12 || v == 13 || v == 14 || v == 17 || v == 21 || v == 29 || v == 30;
        CAPTURE(v);
        CHECK(x86::exception_info(v).has_error_code == expected);
    }
}

TEST_CASE("exceptions: page-fault error codes are decoded") {
    CHECK(pf(0x0) == "read, page not present, supervisor");
    CHECK(pf(0x3) == "write, protection violation, supervisor");
    CHECK(pf(0x11) == "instruction fetch, protection violation, supervisor");
    CHECK(pf(0x6) == "write, page not present, user");
    CHECK(pf(0x9) == "read, protection violation, supervisor, reserved bit set");
    CHECK(pf(0x80000001) == "read, protection violation, supervisor, RMP violation");
}
