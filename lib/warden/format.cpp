// Rendering half of the formatter: integers in any base, padding, escapes.
#include "warden/format.hpp"

namespace warden::fmt {
namespace {

constexpr size_t kMaxDigits = 64;  // base 2 of a 64-bit value

void pad(Sink& out, char fill, size_t count) {
    char chunk[16];
    for (char& c : chunk) c = fill;
    while (count > 0) {
        const size_t n = count < sizeof chunk ? count : sizeof chunk;
        out.write(std::string_view(chunk, n));
        count -= n;
    }
}

// Writes body with the spec's width: numbers zero-pad after their prefix.
void emit(Sink& out, const Spec& spec, std::string_view prefix, std::string_view body, bool numeric) {
    const size_t len = prefix.size() + body.size();
    const size_t fill = spec.width > len ? spec.width - len : 0;
    if (numeric && spec.zero && !spec.left) {
        out.write(prefix);
        pad(out, '0', fill);
        out.write(body);
        return;
    }
    if (!spec.left) pad(out, ' ', fill);
    out.write(prefix);
    out.write(body);
    if (spec.left) pad(out, ' ', fill);
}

void emit_unsigned(Sink& out, const Spec& spec, uint64_t value, bool negative) {
    unsigned base = 10;
    const char* digits = "0123456789abcdef";
    std::string_view prefix = negative ? "-" : "";
    switch (spec.type) {
    case 'x':
    case 'p':
        base = 16;
        if (spec.alt || spec.type == 'p') prefix = "0x";
        break;
    case 'X':
        base = 16;
        digits = "0123456789ABCDEF";
        if (spec.alt) prefix = "0x";
        break;
    case 'b':
        base = 2;
        if (spec.alt) prefix = "0b";
        break;
    default: break;
    }
    char buf[kMaxDigits];
    size_t pos = sizeof buf;
    do {
        buf[--pos] = digits[value % base];
        value /= base;
    } while (value != 0);
    emit(out, spec, prefix, std::string_view(buf + pos, sizeof buf - pos), true);
}

void emit_arg(Sink& out, Spec spec, const Arg& arg) {
    switch (arg.kind) {
    case Arg::Kind::kUnsigned: emit_unsigned(out, spec, arg.u, false); break;
    case Arg::Kind::kSigned: {
        const bool negative = arg.i < 0 && spec.type != 'x' && spec.type != 'X' && spec.type != 'b';
        // Negating through unsigned arithmetic keeps INT64_MIN well defined.
        const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(arg.i) : static_cast<uint64_t>(arg.i);
        emit_unsigned(out, spec, magnitude, negative);
        break;
    }
    case Arg::Kind::kBool: emit(out, spec, "", arg.u ? "true" : "false", false); break;
    case Arg::Kind::kChar: {
        const char c = static_cast<char>(arg.u);
        if (spec.type == 0 || spec.type == 'c')
            emit(out, spec, "", std::string_view(&c, 1), false);
        else
            emit_unsigned(out, spec, arg.u, false);
        break;
    }
    case Arg::Kind::kString: emit(out, spec, "", arg.s, false); break;
    case Arg::Kind::kPointer:
        // Addresses print as 0x + 16 digits unless the spec asks otherwise.
        if (spec.type == 0) {
            spec.type = 'p';
            spec.zero = true;
            spec.width = spec.width ? spec.width : 18;
        }
        emit_unsigned(out, spec, arg.u, false);
        break;
    }
}

}  // namespace

void vformat(Sink& out, std::string_view text, std::span<const Arg> args) {
    size_t next_arg = 0;
    size_t literal_start = 0;
    auto flush = [&](size_t end) {
        if (end > literal_start) out.write(text.substr(literal_start, end - literal_start));
    };
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            flush(i + 1);  // keep one brace of the pair
            literal_start = i + 2;
            ++i;
            continue;
        }
        if (c != '{') continue;
        Spec spec;
        size_t close = std::string_view::npos;
        if (i + 1 < text.size() && text[i + 1] == '}')
            close = i + 1;
        else if (i + 1 < text.size() && text[i + 1] == ':')
            close = parse_spec(text, i + 2, spec);
        if (close == std::string_view::npos) continue;  // malformed: print it literally
        flush(i);
        if (next_arg < args.size())
            emit_arg(out, spec, args[next_arg++]);
        else
            out.write("{?}");
        literal_start = close + 1;
        i = close;
    }
    flush(text.size());
}

void BufferSink::write(std::string_view text) {
    const size_t room = buffer_.size() - used_;
    const size_t n = text.size() < room ? text.size() : room;
    for (size_t i = 0; i < n; ++i) buffer_[used_ + i] = text[i];
    used_ += n;
    if (n < text.size()) truncated_ = true;
}

}  // namespace warden::fmt
