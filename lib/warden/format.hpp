// A type-safe freestanding formatter: `format(sink, "x={:#x} {}", x, name)`.
// The format string is checked at compile time against the argument count and
// the spec grammar; arguments are type-erased into Arg and rendered by one
// non-template function, so each call site costs little code.
#pragma once

#include <concepts>
#include <span>
#include <string_view>
#include <type_traits>

#include "warden/addr.hpp"
#include "warden/result.hpp"

namespace warden::fmt {

// Where formatted text goes. The kernel's console, a fixed buffer, a test string.
class Sink {
public:
    virtual void write(std::string_view text) = 0;

protected:
    ~Sink() = default;
};

// One argument, type-erased.
struct Arg {
    enum class Kind : uint8_t { kUnsigned, kSigned, kBool, kChar, kString, kPointer };
    constexpr Arg(Kind k, uint64_t v) : kind(k), u(v) {}
    constexpr explicit Arg(int64_t v) : kind(Kind::kSigned), i(v) {}
    constexpr explicit Arg(std::string_view v) : kind(Kind::kString), s(v) {}

    Kind kind;
    union {
        uint64_t u;
        int64_t i;
        std::string_view s;
    };
};

template <std::unsigned_integral T>
requires(!std::same_as<T, bool>) constexpr Arg to_arg(T v) { return Arg(Arg::Kind::kUnsigned, v); }
template <std::signed_integral T>
requires(!std::same_as<T, char>) constexpr Arg to_arg(T v) { return Arg(int64_t{v}); }
constexpr Arg to_arg(bool v) { return Arg(Arg::Kind::kBool, v); }
constexpr Arg to_arg(char v) { return Arg(Arg::Kind::kChar, static_cast<unsigned char>(v)); }
constexpr Arg to_arg(std::string_view v) { return Arg(v); }
constexpr Arg to_arg(const char* v) { return Arg(v ? std::string_view(v) : std::string_view("(null)")); }
inline Arg to_arg(const void* v) { return Arg(Arg::Kind::kPointer, reinterpret_cast<uintptr_t>(v)); }
template <typename Tag>
constexpr Arg to_arg(Address<Tag> v) {
    return Arg(Arg::Kind::kPointer, v.raw());
}
constexpr Arg to_arg(Error e) { return to_arg(error_name(e)); }
template <typename E>
requires std::is_enum_v<E>
constexpr Arg to_arg(E e) { return to_arg(static_cast<std::underlying_type_t<E>>(e)); }

template <typename T>
concept Formattable = requires(const T& v) {
    to_arg(v);
};

// The spec inside "{:...}": [<][#][0][width][type], type one of x X d b c s p.
struct Spec {
    bool left = false;
    bool alt = false;
    bool zero = false;
    unsigned width = 0;
    char type = 0;
};

// Parses a spec at text[pos] (just after ':'), up to the closing '}'.
// Returns the index of '}' or npos when the spec is malformed.
constexpr size_t parse_spec(std::string_view text, size_t pos, Spec& spec) {
    if (pos < text.size() && text[pos] == '<') {
        spec.left = true;
        ++pos;
    }
    if (pos < text.size() && text[pos] == '#') {
        spec.alt = true;
        ++pos;
    }
    if (pos < text.size() && text[pos] == '0') {
        spec.zero = true;
        ++pos;
    }
    unsigned digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        spec.width = spec.width * 10 + static_cast<unsigned>(text[pos] - '0');
        if (++digits > 2) return std::string_view::npos;  // width < 100
        ++pos;
    }
    if (pos < text.size() && text[pos] != '}') {
        constexpr std::string_view kTypes = "xXdbcsp";
        if (kTypes.find(text[pos]) == std::string_view::npos) return std::string_view::npos;
        spec.type = text[pos++];
    }
    return pos < text.size() && text[pos] == '}' ? pos : std::string_view::npos;
}

// Counts placeholders; npos when the string is malformed (stray brace, bad spec).
constexpr size_t count_placeholders(std::string_view text) {
    size_t count = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '}') {
            if (i + 1 < text.size() && text[i + 1] == '}') {
                ++i;
                continue;
            }
            return std::string_view::npos;
        }
        if (text[i] != '{') continue;
        if (i + 1 < text.size() && text[i + 1] == '{') {
            ++i;
            continue;
        }
        Spec spec;
        size_t close = std::string_view::npos;
        if (i + 1 < text.size() && text[i + 1] == '}')
            close = i + 1;
        else if (i + 1 < text.size() && text[i + 1] == ':')
            close = parse_spec(text, i + 2, spec);
        if (close == std::string_view::npos) return std::string_view::npos;
        i = close;
        ++count;
    }
    return count;
}

// Deliberately not constexpr: reaching it during constant evaluation is the
// compile error that reports a format string that does not match its arguments.
void format_string_does_not_match_its_arguments();

template <typename... Args>
class FormatString {
public:
    template <typename S>
    requires std::convertible_to<const S&, std::string_view>
    consteval FormatString(const S& s) : text_(s) {
        if (count_placeholders(text_) != sizeof...(Args)) format_string_does_not_match_its_arguments();
    }
    constexpr std::string_view text() const { return text_; }

private:
    std::string_view text_;
};

// Renders text with args. Placeholders without an argument print "{?}";
// it cannot happen through format(), whose strings are checked at compile time.
void vformat(Sink& out, std::string_view text, std::span<const Arg> args);

template <Formattable... Args>
void format(Sink& out, FormatString<std::type_identity_t<Args>...> text, const Args&... args) {
    const Arg erased[sizeof...(Args) + 1] = {to_arg(args)..., Arg(Arg::Kind::kUnsigned, 0)};
    vformat(out, text.text(), std::span<const Arg>(erased, sizeof...(Args)));
}

// A sink over a caller's buffer. Output past the end is dropped and remembered.
class BufferSink final : public Sink {
public:
    explicit BufferSink(std::span<char> buffer) : buffer_(buffer) {}
    void write(std::string_view text) override;
    std::string_view view() const { return {buffer_.data(), used_}; }
    bool truncated() const { return truncated_; }
    void clear() {
        used_ = 0;
        truncated_ = false;
    }

private:
    std::span<char> buffer_;
    size_t used_ = 0;
    bool truncated_ = false;
};

// A fixed-capacity string to format into: `FixedString<64> s; format(s, ...)`.
template <size_t N>
class FixedString final : public Sink {
public:
    void write(std::string_view text) override { sink_.write(text); }
    std::string_view view() const { return sink_.view(); }
    bool truncated() const { return sink_.truncated(); }

private:
    char storage_[N] = {};
    BufferSink sink_{std::span<char>(storage_, N)};
};

}  // namespace warden::fmt
