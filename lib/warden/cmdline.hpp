// The kernel command line: space-separated words, `flag` or `key=value`.
#pragma once

#include <string_view>

#include "warden/result.hpp"

namespace warden {

class CommandLine {
public:
    constexpr explicit CommandLine(std::string_view text) : text_(text) {}

    // True when the word `flag` (or `flag=...`) appears.
    constexpr bool has(std::string_view flag) const {
        bool found = false;
        for_each([&](std::string_view key, std::string_view) { found = found || key == flag; });
        return found;
    }
    // The value of the last `key=value`, or empty.
    constexpr std::string_view value(std::string_view key) const {
        std::string_view out;
        for_each([&](std::string_view k, std::string_view v) {
            if (k == key) out = v;
        });
        return out;
    }
    constexpr std::string_view text() const { return text_; }

    // The value of `key=N` as a decimal number: kNotFound when absent,
    // kInvalidArgument when not all digits, kOverflow past 64 bits.
    constexpr Result<uint64_t> number(std::string_view key) const {
        if (!has(key)) return Fail(Error::kNotFound);
        const std::string_view v = value(key);
        if (v.empty()) return Fail(Error::kInvalidArgument);
        uint64_t n = 0;
        for (char c : v) {
            if (c < '0' || c > '9') return Fail(Error::kInvalidArgument);
            if (__builtin_mul_overflow(n, 10u, &n) || __builtin_add_overflow(n, static_cast<uint64_t>(c - '0'), &n)) {
                return Fail(Error::kOverflow);
            }
        }
        return n;
    }

private:
    template <typename F>
    constexpr void for_each(F&& f) const {
        size_t pos = 0;
        while (pos < text_.size()) {
            while (pos < text_.size() && text_[pos] == ' ') ++pos;
            size_t end = pos;
            while (end < text_.size() && text_[end] != ' ') ++end;
            if (end > pos) {
                const std::string_view word = text_.substr(pos, end - pos);
                const size_t eq = word.find('=');
                if (eq == std::string_view::npos)
                    f(word, std::string_view());
                else
                    f(word.substr(0, eq), word.substr(eq + 1));
            }
            pos = end;
        }
    }

    std::string_view text_;
};

}  // namespace warden
