#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "warden/log_line.hpp"

using namespace warden;
using log_line::kMaxLine;

namespace {

std::span<const uint8_t> bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// Renders or returns the error's name, so a table can hold both.
std::string rendered(std::string_view name, std::string_view text) {
    static char out[kMaxLine];
    auto line = log_line::render(name, bytes(text), std::span<char, kMaxLine>(out));
    return line ? std::string(*line) : std::string("error: ") + error_name(line.error());
}

// The text back from a rendered body (test-side decoder): every escape
// must be one render makes, or this returns "undecodable".
std::string unescape(std::string_view body) {
    std::string out;
    for (size_t i = 0; i < body.size(); ++i) {
        if (body[i] != '\\') {
            out += body[i];
            continue;
        }
        if (i + 1 < body.size() && body[i + 1] == '\\') {
            out += '\\';
            ++i;
            continue;
        }
        if (i + 3 >= body.size() || body[i + 1] != 'x') return "undecodable";
        out += static_cast<char>(std::stoi(std::string(body.substr(i + 2, 2)), nullptr, 16));
        i += 3;
    }
    return out;
}

}  // namespace

TEST_CASE("log_line: printable text keeps its bytes behind the writer's prefix") {
    CHECK(rendered("ping", "200 calls, 0 bad") == "[ping] 200 calls, 0 bad\n");
    CHECK(rendered("request_loop0", "svsm: vCPU 0") == "[request_loop0] svsm: vCPU 0\n");
    CHECK(rendered("x", "") == "[x] \n");
    CHECK(rendered("a", " ~!\"#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}") == "[a]  ~!\"#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}\n");
}

TEST_CASE("log_line: control bytes, DEL, bytes >= 0x80 and the backslash are escaped") {
    CHECK(rendered("t", "a\nwarden: ready cpus=9") == "[t] a\\x0awarden: ready cpus=9\n");
    CHECK(rendered("t", "\r\n") == "[t] \\x0d\\x0a\n");
    CHECK(rendered("t", "\x1b[2K") == "[t] \\x1b[2K\n");
    CHECK(rendered("t", std::string_view("\0\x01\x1f\x7f", 4)) == "[t] \\x00\\x01\\x1f\\x7f\n");
    CHECK(rendered("t", "\x80\x9b\xc3\xa9\xff") == "[t] \\x80\\x9b\\xc3\\xa9\\xff\n");
    CHECK(rendered("t", "\\x1b") == "[t] \\\\x1b\n");  // the task's own "\x1b" text stays distinguishable
}

TEST_CASE("log_line: every byte value has one escape, and only 0x20..0x7e but '\\\\' stand for themselves") {
    for (unsigned b = 0; b < 256; ++b) {
        char e[log_line::kMaxEscape];
        const size_t n = log_line::escape(static_cast<uint8_t>(b), e);
        const bool plain = b >= 0x20 && b <= 0x7e && b != '\\';
        CHECK(n == (plain ? 1u : b == '\\' ? 2u : 4u));
        for (size_t i = 0; i < n; ++i) CHECK((e[i] >= 0x20 && e[i] <= 0x7e));
        CHECK(unescape(std::string_view(e, n)) == std::string(1, static_cast<char>(b)));
    }
}

TEST_CASE("log_line: the longest text of the worst bytes fills kMaxLine exactly") {
    const std::string worst(abi::kMaxLog, '\x1b');
    const std::string name(abi::kNameBytes - 1, 'n');
    const std::string line = rendered(name, worst);
    CHECK(line.size() == kMaxLine);
    CHECK(line.substr(0, name.size() + 3) == "[" + name + "] ");
    CHECK(line.back() == '\n');
    CHECK(unescape(std::string_view(line).substr(name.size() + 3, line.size() - name.size() - 4)) == worst);
    CHECK(rendered("t", std::string(abi::kMaxLog, 'a')).size() == 4 + abi::kMaxLog + 1);
}

TEST_CASE("log_line: malformed names and oversized text are refused with their error") {
    struct Case {
        std::string_view name;
        std::string text;
        const char* want;
    };
    const Case cases[] = {
        {"", "x", "error: invalid argument"},
        {"sixteen-bytes-nm", "x", "error: invalid argument"},  // kNameBytes: no room for the NUL
        {"pi ng", "x", "error: invalid argument"},
        {"ping]", "x", "error: invalid argument"},
        {"[ping", "x", "error: invalid argument"},
        {"a\nb", "x", "error: invalid argument"},
        {std::string_view("a\0b", 3), "x", "error: invalid argument"},
        {"\x1b", "x", "error: invalid argument"},
        {"\xc3\xa9", "x", "error: invalid argument"},
        {"ok", std::string(abi::kMaxLog + 1, 'a'), "error: out of range"},
        {"bad name", std::string(abi::kMaxLog + 1, 'a'), "error: invalid argument"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        CHECK(rendered(c.name, c.text) == c.want);
    }
    CHECK(log_line::valid_task_name("fifteen-bytes-n"));
    CHECK(log_line::valid_task_name("harness@"));
    CHECK(log_line::valid_task_name("a.b_c-D9"));
}

TEST_CASE("log_line budget: a full bucket admits a burst, then the rest of a flood is dropped and counted") {
    log_line::Budget b(log_line::BudgetRule{1000, 100, 10, 100});
    unsigned admitted = 0;
    for (int i = 0; i < 50; ++i) admitted += b.admit(7, 100);
    CHECK(admitted == 10);
    CHECK(b.dropped_lines() == 40);
    CHECK(b.dropped_bytes() == 4000);
    CHECK(b.take_report(7, false) == 40);
    CHECK(b.take_report(7, true) == 0);
    CHECK(b.dropped_lines() == 40);  // the total stays
}

TEST_CASE("log_line budget: drops are reported at most once every report_every ticks, and all at the end") {
    log_line::Budget b(log_line::BudgetRule{100, 0, 1, 100});
    CHECK(b.take_report(0, false) == 0);  // nothing dropped yet
    CHECK(b.admit(0, 100));
    CHECK_FALSE(b.admit(0, 1));
    CHECK(b.take_report(0, false) == 1);  // the first report comes at once
    CHECK_FALSE(b.admit(50, 1));
    CHECK_FALSE(b.admit(60, 1));
    CHECK(b.take_report(99, false) == 0);  // not yet: the last report was at 0
    CHECK(b.take_report(100, false) == 2);
    CHECK_FALSE(b.admit(120, 1));
    CHECK(b.take_report(121, true) == 1);  // the task ends: report the rest now
    CHECK(b.take_report(500, true) == 0);
    CHECK_FALSE(b.admit(130, 1));
    CHECK(b.take_report(5, false) == 1);  // a clock that went back does not hold a report for ~2^64 ticks
    CHECK(b.dropped_lines() == 5);
}

TEST_CASE("log_line budget: ticks refill per_tick each, never past the burst") {
    log_line::Budget b(log_line::BudgetRule{1000, 100, 10, 100});
    CHECK(b.admit(0, 1000));
    CHECK_FALSE(b.admit(0, 1));
    CHECK(b.admit(1, 100));  // one tick: 100 bytes
    CHECK_FALSE(b.admit(1, 1));
    CHECK(b.admit(1'000'000, 1));  // a long quiet spell refills to the burst only
    CHECK(b.tokens() == 990);
}

TEST_CASE("log_line budget: short lines cost min_line, which bounds their number") {
    log_line::Budget b(log_line::BudgetRule{640, 64, 64, 100});
    unsigned admitted = 0;
    for (int i = 0; i < 100; ++i) admitted += b.admit(0, 1);
    CHECK(admitted == 10);
    CHECK(b.dropped_bytes() == 90);  // the bytes the task wrote, not the charge
}

TEST_CASE("log_line budget: boundaries — exact fit, a line past the burst, a clock that goes back, huge gaps") {
    log_line::Budget fit(log_line::BudgetRule{100, 1, 1, 100});
    CHECK(fit.admit(5, 100));
    CHECK(fit.tokens() == 0);
    CHECK_FALSE(fit.admit(5, 101 - 100));  // nothing left at the same tick
    log_line::Budget big(log_line::BudgetRule{100, 1, 1, 100});
    CHECK_FALSE(big.admit(0, 101));  // never fits, however long the task waits
    CHECK_FALSE(big.admit(~uint64_t{0}, 101));
    CHECK(big.dropped_lines() == 2);
    log_line::Budget back(log_line::BudgetRule{100, 10, 1, 100});
    CHECK(back.admit(1000, 100));
    CHECK_FALSE(back.admit(10, 1));  // back in time: no refill, and no wrap into a huge one
    CHECK(back.admit(11, 10));       // counting resumes from the clock as it now reads
    log_line::Budget huge(log_line::BudgetRule{100, ~uint64_t{0}, 1});
    CHECK(huge.admit(0, 100));
    CHECK(huge.admit(~uint64_t{0}, 100));  // elapsed * per_tick saturates instead of wrapping
    CHECK(huge.tokens() == 0);
}

TEST_CASE("log_line budget: the kernel's rule takes every line render can make") {
    log_line::Budget b;
    CHECK(b.tokens() == log_line::kTaskBudget.burst);
    CHECK(b.admit(0, kMaxLine));
}
