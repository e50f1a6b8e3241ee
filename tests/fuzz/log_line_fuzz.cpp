// libFuzzer target: task log lines (the text is whatever a task passes to
// kLog) and the per-task budget (under any sequence of times and sizes).
// Input: one byte of name length, the name, then the text; the same bytes
// drive the budget as (tick step, line size) pairs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "warden/log_line.hpp"

using namespace warden;

namespace {

void check_line(std::string_view name, std::span<const uint8_t> text) {
    char out[log_line::kMaxLine];
    auto line = log_line::render(name, text, out);
    if (!log_line::valid_task_name(name)) {
        if (line.ok()) __builtin_trap();
        return;
    }
    if (text.size() > abi::kMaxLog) {
        if (line.error() != Error::kOutOfRange) __builtin_trap();
        return;
    }
    if (!line.ok()) __builtin_trap();
    const std::string_view l = *line;
    // Bounded, the writer's prefix intact, one line, no control byte.
    if (l.size() > log_line::kMaxLine || l.size() < name.size() + 4) __builtin_trap();
    if (l[0] != '[' || l.substr(1, name.size()) != name || l.substr(name.size() + 1, 2) != "] ") __builtin_trap();
    if (l.back() != '\n') __builtin_trap();
    for (size_t i = 0; i + 1 < l.size(); ++i) {
        if (l[i] < 0x20 || l[i] > 0x7e) __builtin_trap();
    }
    // The text comes back exactly: no two texts look alike.
    const std::string_view body = l.substr(name.size() + 3, l.size() - name.size() - 4);
    size_t at = 0;
    for (size_t i = 0; i < body.size(); ++at) {
        if (at >= text.size()) __builtin_trap();
        uint8_t b = static_cast<uint8_t>(body[i]);
        if (body[i] == '\\') {
            if (i + 1 < body.size() && body[i + 1] == '\\') {
                b = '\\';
                i += 2;
            } else {
                if (i + 3 >= body.size() || body[i + 1] != 'x') __builtin_trap();
                auto hex = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
                b = static_cast<uint8_t>(hex(body[i + 2]) * 16 + hex(body[i + 3]));
                i += 4;
            }
        } else {
            ++i;
        }
        if (b != text[at]) __builtin_trap();
    }
    if (at != text.size()) __builtin_trap();
}

void check_budget(const uint8_t* data, size_t size) {
    constexpr log_line::BudgetRule kRule{1000, 50, 16, 20};
    log_line::Budget b(kRule);
    uint64_t now = 0, admitted_cost = 0, lines = 0, reported = 0;
    for (size_t i = 0; i + 1 < size; i += 2) {
        // Steps of up to 15 ticks, sometimes a huge leap or a step back.
        const uint8_t step = data[i];
        if (step == 0xff)
            now = ~uint64_t{0} - 3;
        else if (step == 0xfe)
            now = now > 100 ? now - 100 : 0;
        else
            now += step & 0xf;
        const size_t bytes = data[i + 1] * 8u;
        const uint64_t before = b.tokens();
        const bool ok = b.admit(now, bytes);
        ++lines;
        const uint64_t cost = bytes > kRule.min_line ? bytes : kRule.min_line;
        if (ok) admitted_cost += cost;
        if (b.tokens() > kRule.burst) __builtin_trap();
        if (ok && cost > kRule.burst) __builtin_trap();    // more than a full bucket never goes through
        if (!ok && b.tokens() < before) __builtin_trap();  // a dropped line costs nothing
        if (step & 0x10) reported += b.take_report(now, false);
        if (reported > b.dropped_lines()) __builtin_trap();
    }
    if (b.dropped_lines() > lines) __builtin_trap();
    // Every drop is reported once: what the reports said and the final one add up.
    reported += b.take_report(now, true);
    if (reported != b.dropped_lines() || b.take_report(now, true) != 0) __builtin_trap();
    (void)admitted_cost;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const size_t name_len = data[0] % 20 < size - 1 ? data[0] % 20 : size - 1;
    const std::string_view name(reinterpret_cast<const char*>(data + 1), name_len);
    check_line(name, std::span<const uint8_t>(data + 1 + name_len, size - 1 - name_len));
    check_budget(data, size);
    return 0;
}
