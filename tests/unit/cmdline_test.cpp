#include <doctest/doctest.h>

#include "warden/cmdline.hpp"

using warden::CommandLine;

TEST_CASE("cmdline: flags and key=value words are found") {
    const CommandLine c("  warden.exit_when_ready  console=ttyS0 log=debug ");
    CHECK(c.has("warden.exit_when_ready"));
    CHECK(c.has("console"));
    CHECK(c.value("console") == "ttyS0");
    CHECK(c.value("log") == "debug");
}

TEST_CASE("cmdline: prefixes and absent words do not match") {
    const CommandLine c("warden.exit_when_readyX quiet");
    CHECK_FALSE(c.has("warden.exit_when_ready"));
    CHECK_FALSE(c.has("quie"));
    CHECK(c.value("missing").empty());
    CHECK_FALSE(CommandLine("").has("x"));
}

TEST_CASE("cmdline: the last value of a repeated key wins; empty values are allowed") {
    const CommandLine c("a=1 a=2 b=");
    CHECK(c.value("a") == "2");
    CHECK(c.has("b"));
    CHECK(c.value("b").empty());
}

TEST_CASE("cmdline: numbers parse exactly or fail with a reason") {
    const CommandLine c("n=42 zero=0 max=18446744073709551615 big=18446744073709551616 hex=0x10 neg=-1 empty= flag");
    CHECK(*c.number("n") == 42);
    CHECK(*c.number("zero") == 0);
    CHECK(*c.number("max") == 18446744073709551615ull);
    CHECK(c.number("big").error() == warden::Error::kOverflow);
    CHECK(c.number("hex").error() == warden::Error::kInvalidArgument);
    CHECK(c.number("neg").error() == warden::Error::kInvalidArgument);
    CHECK(c.number("empty").error() == warden::Error::kInvalidArgument);
    CHECK(c.number("flag").error() == warden::Error::kInvalidArgument);
    CHECK(c.number("absent").error() == warden::Error::kNotFound);
}
