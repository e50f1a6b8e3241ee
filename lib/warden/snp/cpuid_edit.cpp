// Parsing and applying the test's edits to a proposed CPUID page.
#include "warden/snp/cpuid_edit.hpp"

#include "warden/bytes.hpp"

namespace warden::snp {
namespace {

struct FieldName {
    std::string_view name;
    CpuidField field;
    size_t offset, width;  // in the 48-byte entry
};
constexpr std::array<FieldName, 7> kFields = {{
    {"eax", CpuidField::kEax, 24, 4},
    {"ebx", CpuidField::kEbx, 28, 4},
    {"ecx", CpuidField::kEcx, 32, 4},
    {"edx", CpuidField::kEdx, 36, 4},
    {"xcr0_in", CpuidField::kXcr0In, 8, 8},
    {"xss_in", CpuidField::kXssIn, 16, 8},
    {"reserved", CpuidField::kReserved, 40, 8},
}};

// s[from, to), never past the end (string_view::substr may throw, which the
// freestanding host cannot).
std::string_view slice(std::string_view s, size_t from, size_t to) {
    if (to > s.size()) to = s.size();
    if (from > to) from = to;
    return std::string_view(s.data() + from, to - from);
}

const FieldName& field_info(CpuidField f) {
    for (const FieldName& n : kFields) {
        if (n.field == f) return n;
    }
    return kFields[0];
}

// A whole number: decimal, or 0x and 1-16 hex digits; nothing else.
bool parse_number(std::string_view s, uint64_t& out) {
    out = 0;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s = slice(s, 2, s.size());
        if (s.size() > 16) return false;
        for (char c : s) {
            const int d = c >= '0' && c <= '9'   ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
            if (d < 0) return false;
            out = out << 4 | static_cast<uint64_t>(d);
        }
        return true;
    }
    if (s.empty() || s.size() > 19) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + static_cast<uint64_t>(c - '0');
    }
    return true;
}

const char* parse_one(std::string_view s, CpuidEdit& e) {
    const size_t c1 = s.find(':');
    if (c1 == std::string_view::npos) return "expected FUNCTION:SUBLEAF:FIELD OP VALUE";
    const size_t c2 = s.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return "expected FUNCTION:SUBLEAF:FIELD OP VALUE";
    uint64_t function = 0, subleaf = 0;
    if (!parse_number(slice(s, 0, c1), function) || function > 0xffffffff) return "FUNCTION is not a 32-bit number";
    if (!parse_number(slice(s, c1 + 1, c2), subleaf) || subleaf > 0xffffffff) return "SUBLEAF is not a 32-bit number";
    const std::string_view rest = slice(s, c2 + 1, s.size());
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos || eq == 0) return "expected FIELD followed by =, |=, &= or ^=";
    std::string_view name = slice(rest, 0, eq);
    CpuidEditOp op = CpuidEditOp::kSet;
    switch (name.back()) {
    case '|': op = CpuidEditOp::kOr; break;
    case '&': op = CpuidEditOp::kAnd; break;
    case '^': op = CpuidEditOp::kXor; break;
    default: break;
    }
    if (op != CpuidEditOp::kSet) name = slice(name, 0, name.size() - 1);
    const FieldName* field = nullptr;
    for (const FieldName& f : kFields) {
        if (f.name == name) field = &f;
    }
    if (field == nullptr) return "FIELD is not eax, ebx, ecx, edx, xcr0_in, xss_in or reserved";
    uint64_t value = 0;
    if (!parse_number(slice(rest, eq + 1, rest.size()), value)) return "VALUE is not a number (decimal or 0x hex)";
    if (field->width == 4 && value > 0xffffffff) return "VALUE is wider than the 32-bit register";
    e = {static_cast<uint32_t>(function), static_cast<uint32_t>(subleaf), field->field, op, value};
    return nullptr;
}

void store(std::span<uint8_t> b, size_t at, uint64_t value, size_t n) {
    for (size_t i = 0; i < n; ++i) b[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

uint64_t load(std::span<const uint8_t> b, size_t at, size_t n) {
    return n == 4 ? load_le<uint32_t>(b, at) : load_le<uint64_t>(b, at);
}

}  // namespace

Result<CpuidEdits> parse_cpuid_edits(std::string_view text, CpuidEditSyntax* why) {
    CpuidEdits out;
    size_t at = 0;
    auto refuse = [&](size_t where, const char* what) -> Result<CpuidEdits> {
        if (why != nullptr) *why = {where, what};
        return Fail(Error::kInvalidArgument);
    };
    while (at < text.size()) {
        size_t end = at;
        while (end < text.size() && text[end] != ';' && text[end] != '\n') ++end;
        const std::string_view one = slice(text, at, end);
        const bool last = end + 1 >= text.size();
        if (one.empty()) {
            if (!last) return refuse(at, "empty edit between separators");
        } else {
            if (out.count == CpuidEdits::kMax) return refuse(at, "more than 8 edits");
            if (const char* bad = parse_one(one, out.edits[out.count])) return refuse(at, bad);
            ++out.count;
        }
        at = end + 1;
    }
    if (out.count == 0) return refuse(0, "no edit");
    return out;
}

Result<void> apply_cpuid_edits(const CpuidEdits& edits, std::span<uint8_t, sev::kCpuidPageSize> page) {
    for (size_t n = 0; n < edits.count; ++n) {
        const CpuidEdit& e = edits.edits[n];
        uint32_t count = load_le<uint32_t>(page, 0);
        if (count > kCpuidMaxEntries) return Fail(Error::kOutOfRange);
        size_t i = 0;
        while (i < count && !(load_le<uint32_t>(page, kCpuidHeaderSize + i * kCpuidEntrySize) == e.function &&
                              load_le<uint32_t>(page, kCpuidHeaderSize + i * kCpuidEntrySize + 4) == e.subleaf))
            ++i;
        const auto entry = std::span<uint8_t>(page).subspan(kCpuidHeaderSize + i * kCpuidEntrySize, kCpuidEntrySize);
        if (i == count) {
            if (count == kCpuidMaxEntries) return Fail(Error::kOutOfRange);
            for (uint8_t& b : entry) b = 0;
            store(entry, 0, e.function, 4);
            store(entry, 4, e.subleaf, 4);
            store(page, 0, ++count, 4);
        }
        const FieldName& f = field_info(e.field);
        uint64_t v = load(entry, f.offset, f.width);
        switch (e.op) {
        case CpuidEditOp::kSet: v = e.value; break;
        case CpuidEditOp::kOr: v |= e.value; break;
        case CpuidEditOp::kAnd: v &= e.value; break;
        case CpuidEditOp::kXor: v ^= e.value; break;
        }
        store(entry, f.offset, v, f.width);
    }
    return {};
}

}  // namespace warden::snp
