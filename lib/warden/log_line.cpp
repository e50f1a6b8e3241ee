// Task log lines: escaping, the writer's prefix, and the per-task budget.
#include "warden/log_line.hpp"

#include "warden/checked.hpp"

namespace warden::log_line {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == '@';
}

uint64_t saturating_add(uint64_t a, uint64_t b) { return checked_add(a, b).value_or(~uint64_t{0}); }

}  // namespace

size_t escape(uint8_t byte, char (&out)[kMaxEscape]) {
    if (byte == '\\') {
        out[0] = '\\';
        out[1] = '\\';
        return 2;
    }
    if (byte >= 0x20 && byte <= 0x7e) {
        out[0] = static_cast<char>(byte);
        return 1;
    }
    out[0] = '\\';
    out[1] = 'x';
    out[2] = kHex[byte >> 4];
    out[3] = kHex[byte & 0xf];
    return 4;
}

bool valid_task_name(std::string_view name) {
    if (name.empty() || name.size() >= abi::kNameBytes) return false;
    for (char c : name) {
        if (!name_char(c)) return false;
    }
    return true;
}

Result<std::string_view> render(std::string_view name, std::span<const uint8_t> text, std::span<char, kMaxLine> out) {
    if (!valid_task_name(name)) return Fail(Error::kInvalidArgument);
    if (text.size() > abi::kMaxLog) return Fail(Error::kOutOfRange);
    size_t n = 0;
    out[n++] = '[';
    for (char c : name) out[n++] = c;
    out[n++] = ']';
    out[n++] = ' ';
    for (uint8_t b : text) {
        char e[kMaxEscape];
        const size_t len = escape(b, e);
        for (size_t i = 0; i < len; ++i) out[n++] = e[i];
    }
    out[n++] = '\n';
    return std::string_view(out.data(), n);
}

void Budget::refill(uint64_t now) {
    if (!started_) {
        started_ = true;
        last_ = now;
        return;
    }
    const uint64_t elapsed = now > last_ ? now - last_ : 0;
    last_ = now;
    const uint64_t added = checked_mul(elapsed, rule_.per_tick).value_or(~uint64_t{0});
    const uint64_t tokens = saturating_add(tokens_, added);
    tokens_ = tokens < rule_.burst ? tokens : rule_.burst;
}

bool Budget::admit(uint64_t now, size_t bytes) {
    refill(now);
    const uint64_t cost = bytes > rule_.min_line ? bytes : rule_.min_line;
    if (cost <= tokens_) {
        tokens_ -= cost;
        return true;
    }
    ++dropped_lines_;
    ++unreported_;
    dropped_bytes_ = saturating_add(dropped_bytes_, bytes);
    return false;
}

uint64_t Budget::take_report(uint64_t now, bool final) {
    if (unreported_ == 0) return 0;
    // A clock that went back counts as a due report, never as a wait of ~2^64 ticks.
    const bool due = !reported_ || now < last_report_ || now - last_report_ >= rule_.report_every;
    if (!final && !due) return 0;
    reported_ = true;
    last_report_ = now;
    const uint64_t n = unreported_;
    unreported_ = 0;
    return n;
}

}  // namespace warden::log_line
