#include <doctest/doctest.h>

#include <climits>
#include <string>

#include "warden/format.hpp"

using namespace warden;

namespace {
class StringSink final : public fmt::Sink {
public:
    void write(std::string_view t) override { out.append(t); }
    std::string out;
};

template <typename... Args>
std::string f(fmt::FormatString<std::type_identity_t<Args>...> text, const Args&... args) {
    StringSink s;
    fmt::format(s, text, args...);
    return s.out;
}
}  // namespace

TEST_CASE("format: integers in every base and sign") {
    CHECK(f("{}", 0) == "0");
    CHECK(f("{} {}", 42u, -42) == "42 -42");
    CHECK(f("{}", INT64_MIN) == "-9223372036854775808");
    CHECK(f("{}", UINT64_MAX) == "18446744073709551615");
    CHECK(f("{:x} {:X} {:#x}", 255u, 255u, 255u) == "ff FF 0xff");
    CHECK(f("{:b} {:#b}", 5u, 5u) == "101 0b101");
    CHECK(f("{:x}", uint8_t{0xab}) == "ab");
}

TEST_CASE("format: width, zero padding and alignment") {
    CHECK(f("{:08x}", 0xbeefu) == "0000beef");
    CHECK(f("{:#018x}", 0x1000u) == "0x0000000000001000");
    CHECK(f("[{:5}]", 42) == "[   42]");
    CHECK(f("[{:<5}]", 42) == "[42   ]");
    CHECK(f("[{:<6}]", "ab") == "[ab    ]");
    CHECK(f("[{:3}]", "abcdef") == "[abcdef]");  // width never truncates
    CHECK(f("{:05}", -42) == "-0042");
}

TEST_CASE("format: strings, chars, bools, pointers and addresses") {
    CHECK(f("{} {}", "abc", std::string_view("xyz")) == "abc xyz");
    CHECK(f("{}", static_cast<const char*>(nullptr)) == "(null)");
    CHECK(f("{}{}", 'o', 'k') == "ok");
    CHECK(f("{} {}", true, false) == "true false");
    CHECK(f("{}", reinterpret_cast<const void*>(0x1234)) == "0x0000000000001234");
    CHECK(f("{}", PhysAddr(0xfee00000)) == "0x00000000fee00000");
    CHECK(f("{:x}", VirtAddr(0xffff800000000000)) == "ffff800000000000");
    CHECK(f("{}", Error::kTruncated) == "truncated input");
}

TEST_CASE("format: braces escape and text passes through") {
    CHECK(f("{{}}") == "{}");
    CHECK(f("a{{{}}}b", 1) == "a{1}b");
    CHECK(f("no args") == "no args");
    CHECK(f("") == "");
}

TEST_CASE("format: placeholder counting finds malformed strings") {
    using fmt::count_placeholders;
    constexpr auto npos = std::string_view::npos;
    CHECK(count_placeholders("{} {:x} {{}}") == 2);
    CHECK(count_placeholders("{") == npos);
    CHECK(count_placeholders("}") == npos);
    CHECK(count_placeholders("{:q}") == npos);
    CHECK(count_placeholders("{:123}") == npos);
    CHECK(count_placeholders("{x}") == npos);
    // A mismatched string does not compile: format(s, "{} {}", 1) is rejected.
    static_assert(count_placeholders("{:#018x}") == 1);
}

TEST_CASE("format: vformat with missing arguments marks the hole") {
    StringSink s;
    fmt::vformat(s, "a={} b={}", std::span<const fmt::Arg>());
    CHECK(s.out == "a={?} b={?}");
    s.out.clear();
    fmt::vformat(s, "bad {:q} spec", std::span<const fmt::Arg>());
    CHECK(s.out == "bad {:q} spec");
}

TEST_CASE("format: a buffer sink truncates and says so") {
    char buf[8];
    fmt::BufferSink sink{std::span<char>(buf)};
    fmt::format(sink, "{}", 1234567);
    CHECK(sink.view() == "1234567");
    CHECK_FALSE(sink.truncated());
    fmt::format(sink, "{}", 89);
    CHECK(sink.view() == "12345678");
    CHECK(sink.truncated());
    fmt::FixedString<4> fs;
    fmt::format(fs, "{}", "abcdef");
    CHECK(fs.view() == "abcd");
    CHECK(fs.truncated());
}
