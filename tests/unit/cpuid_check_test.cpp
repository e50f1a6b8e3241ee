// The PSP's check of a hypervisor-supplied CPUID page (lib/warden/snp/
// cpuid_check.hpp) and the test edits that make a bad one (cpuid_edit.hpp).
// Expected values come from the architecture and the firmware's stated
// rules (docs/snp-host.md "The PSP's CPUID check"), not from the checker.
#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "warden/bytes.hpp"
#include "warden/snp/cpuid_check.hpp"
#include "warden/snp/cpuid_edit.hpp"

using namespace warden;
using namespace warden::snp;
using sev::CpuidResult;

namespace {

// An EPYC-Milan-like CPU: AuthenticAMD, family 0x19 model 1 stepping 1, no
// AVX-512, XSAVE components x87 SSE AVX PKRU, 48 address bits, SEV-SNP with
// C-bit 47 and 4 VMPLs. Functions it does not list read as zeros.
CpuidResult milan(uint32_t leaf, uint32_t subleaf) {
    switch (leaf) {
    case 0x0: return {0x10, 0x68747541, 0x444d4163, 0x69746e65};
    case 0x1: return {0x00a00f11, 0x00020800, 0x76f8320b, 0x178bfbff};
    case 0x7:
        if (subleaf == 0) return {0, 0x219c07a9, 0x00000600, 0};
        return {};
    case 0xd:
        switch (subleaf) {
        case 0: return {0x207, 0x988, 0x988, 0};
        case 1: return {0xf, 0x348, 0, 0};
        case 2: return {0x100, 0x240, 0, 0};  // AVX: 256 bytes at 576 (SDM vol. 1 13.4)
        case 9: return {0x8, 0x980, 0, 0};    // PKRU: 8 bytes at 2432
        default: return {};
        }
    case 0x40000000: return {0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d};
    case 0x80000000: return {0x80000021, 0x68747541, 0x444d4163, 0x69746e65};
    case 0x80000001: return {0x00a00f11, 0x40000000, 0x75c237ff, 0x2fd3fbff};
    case 0x80000008: return {0x00003030, 0x1001b000, 0x0000000f, 0};
    case 0x8000001f: return {0x3b, 47 | 1u << 6 | 4u << 12, 15, 1};
    default: return {};
    }
}

struct In {
    uint32_t leaf, subleaf;
    uint64_t xcr0 = 0, xss = 0;
};

struct Page {
    std::array<uint8_t, sev::kCpuidPageSize> bytes{};

    size_t count() const { return load_le<uint32_t>(bytes, 0); }
    void set(size_t at, uint64_t v, size_t n) {
        for (size_t i = 0; i < n; ++i) bytes[at + i] = static_cast<uint8_t>(v >> (8 * i));
    }
    // Appends an entry with the CPU's own answer, or `out` when given.
    size_t add(In in, const CpuidResult* out = nullptr) {
        const size_t i = count();
        const size_t e = 16 + 48 * i;
        const CpuidResult r = out ? *out : milan(in.leaf, in.subleaf);
        set(e, in.leaf, 4), set(e + 4, in.subleaf, 4), set(e + 8, in.xcr0, 8), set(e + 16, in.xss, 8);
        set(e + 24, r.eax, 4), set(e + 28, r.ebx, 4), set(e + 32, r.ecx, 4), set(e + 36, r.edx, 4);
        set(0, i + 1, 4);
        return i;
    }
    uint32_t reg(size_t i, int r) const { return load_le<uint32_t>(bytes, 16 + 48 * i + 24 + 4 * r); }
    void set_reg(size_t i, int r, uint32_t v) { set(16 + 48 * i + 24 + 4 * r, v, 4); }
    uint64_t xcr0(size_t i) const { return load_le<uint64_t>(bytes, 16 + 48 * i + 8); }
};

constexpr int kEax = 0, kEbx = 1, kEcx = 2, kEdx = 3;

struct Collect final : CpuidRejectionSink {
    std::vector<CpuidRejection> got;
    void rejected(const CpuidRejection& r) override { got.push_back(r); }
};

struct Checked {
    Result<CpuidCheckResult> result;
    std::vector<CpuidRejection> rejections;
};

Checked check(Page& p) {
    Collect sink;
    auto r = check_cpuid_page(p.bytes, milan, sink);
    return {r, sink.got};
}

// The page is rejected with exactly one value refused, and the corrected
// page passes a second check unchanged.
CpuidRejection only_rejection(Page& p) {
    auto c = check(p);
    REQUIRE(c.result.ok());
    REQUIRE(c.result->rejected == 1);
    REQUIRE(c.rejections.size() == 1);
    const Page corrected = p;
    auto again = check(p);
    REQUIRE(again.result.ok());
    CHECK(again.result->accepted());
    CHECK(p.bytes == corrected.bytes);
    return c.rejections[0];
}

void accepted_unchanged(Page& p) {
    const Page before = p;
    auto c = check(p);
    REQUIRE(c.result.ok());
    CHECK(c.result->accepted());
    CHECK(c.rejections.empty());
    CHECK(p.bytes == before.bytes);
}

}  // namespace

TEST_CASE("cpuid_check: constants are the firmware's values") {
    // AMD-ASPFW cpuid_lookup.h: SNP_CPUID_COUNT_MAX 64; snp_cpuid_function_t
    // is 4 + 4 + 8 + 8 + 4 * 4 + 8 bytes; the page header count, reserved, reserved2.
    CHECK(kCpuidMaxEntries == 64);
    CHECK(kCpuidEntrySize == 48);
    CHECK(kCpuidHeaderSize == 16);
    CHECK(kCpuidHeaderSize + kCpuidMaxEntries * kCpuidEntrySize <= sev::kCpuidPageSize);
}

TEST_CASE("cpuid_check: the page the hypervisor builds from the CPU itself is accepted unchanged") {
    Page p;
    REQUIRE(sev::build_cpuid_page(sev::default_guest_leaves(), milan, p.bytes).ok());
    REQUIRE(p.count() > 10);
    accepted_unchanged(p);
}

TEST_CASE("cpuid_check: a feature bit the CPU does not report is rejected and cleared") {
    Page p;
    const size_t i = p.add({0x7, 0});
    p.set_reg(i, kEbx, 0x219c07a9 | 1u << 16);  // AVX512F: Milan has none
    const CpuidRejection r = only_rejection(p);
    CHECK(r.entry == 0);
    CHECK(r.function == 0x7);
    CHECK(r.subleaf == 0);
    CHECK(r.field == CpuidField::kEbx);
    CHECK(r.why == CpuidWhy::kUnsupportedBits);
    CHECK(r.proposed == (0x219c07a9 | 1u << 16));
    CHECK(r.bits == 0x10000);
    CHECK(r.allowed == 0x219c07a9);
    CHECK(p.reg(i, kEbx) == 0x219c07a9);
    CHECK(std::string(cpuid_field_name(r.field)) == "EBX");
}

TEST_CASE("cpuid_check: feature bits may be cleared, and dynamic bits are free") {
    Page p;
    const size_t a = p.add({0x7, 0});
    p.set_reg(a, kEbx, 0x219c07a9 & ~1u);      // FSGSBASE hidden
    p.set_reg(a, kEcx, 0x00000600 | 1u << 4);  // OSPKE is the OS's
    const size_t b = p.add({0x1, 0});
    p.set_reg(b, kEcx, 0x76f8320b | 1u << 31);  // hypervisor present
    p.set_reg(b, kEdx, 0x178bfbff & ~(1u << 28));
    p.set_reg(b, kEbx, 0x07030800);  // APIC ID 7, 3 logical CPUs: free; CLFLUSH 8 kept
    accepted_unchanged(p);
}

TEST_CASE("cpuid_check: fields that must match the CPU are rejected when they differ") {
    SUBCASE("SEV C-bit position") {
        Page p;
        const size_t i = p.add({0x8000001f, 0});
        p.set_reg(i, kEbx, 51 | 1u << 6 | 4u << 12);
        const CpuidRejection r = only_rejection(p);
        CHECK(r.field == CpuidField::kEbx);
        CHECK(r.why == CpuidWhy::kNotExact);
        CHECK(r.bits == (51 ^ 47));
        CHECK(r.allowed == (47 | 1u << 6 | 4u << 12));
    }
    SUBCASE("CLFLUSH line size") {
        Page p;
        const size_t i = p.add({0x1, 0});
        p.set_reg(i, kEbx, 0x00021000);  // 16 quadwords instead of 8
        const CpuidRejection r = only_rejection(p);
        CHECK(r.why == CpuidWhy::kNotExact);
        CHECK(r.allowed == 0x00020800);
    }
    SUBCASE("XCR0 high half in 0xD/0 EDX") {
        Page p;
        const size_t i = p.add({0xd, 0, 1});
        p.set_reg(i, kEbx, 0x240);
        p.set_reg(i, kEdx, 1);
        const CpuidRejection r = only_rejection(p);
        CHECK(r.field == CpuidField::kEdx);
        CHECK(r.allowed == 0);
    }
}

TEST_CASE("cpuid_check: counts and sizes may be lower than the CPU's, never higher") {
    SUBCASE("more VMPLs than the CPU has") {
        Page p;
        const size_t i = p.add({0x8000001f, 0});
        p.set_reg(i, kEbx, 47 | 1u << 6 | 5u << 12);
        const CpuidRejection r = only_rejection(p);
        CHECK(r.why == CpuidWhy::kAboveCpu);
        CHECK(r.bits == 0xf000);
        CHECK(r.allowed == (47 | 1u << 6 | 4u << 12));
    }
    SUBCASE("fewer VMPLs, another reduction: accepted") {
        Page p;
        const size_t i = p.add({0x8000001f, 0});
        p.set_reg(i, kEbx, 47 | 5u << 6 | 2u << 12);
        accepted_unchanged(p);
    }
    SUBCASE("52 physical address bits on a 48-bit CPU") {
        Page p;
        const size_t i = p.add({0x80000008, 0});
        p.set_reg(i, kEax, 0x00003034);
        const CpuidRejection r = only_rejection(p);
        CHECK(r.why == CpuidWhy::kAboveCpu);
        CHECK(r.bits == 0xff);
        CHECK(r.allowed == 0x00003030);
    }
    SUBCASE("a lower maximum leaf and 40 address bits: accepted") {
        Page p;
        const size_t i = p.add({0x80000008, 0});
        p.set_reg(i, kEax, 0x00003028);
        const size_t j = p.add({0x0, 0});
        p.set_reg(j, kEax, 0xd);
        accepted_unchanged(p);
    }
}

TEST_CASE("cpuid_check: family, model and stepping may be older than the CPU's, not newer") {
    Page p;
    const size_t i = p.add({0x1, 0});
    p.set_reg(i, kEax, 0x00a00f12);  // stepping 2 on a stepping-1 part
    const CpuidRejection r = only_rejection(p);
    CHECK(r.why == CpuidWhy::kAboveCpuFms);
    CHECK(r.allowed == 0x00a00f11);

    Page older;
    const size_t a = older.add({0x1, 0});
    older.set_reg(a, kEax, 0x00800f12);  // family 0x17, a later stepping: still older
    const size_t b = older.add({0x80000001, 0});
    older.set_reg(b, kEax, 0x00a00f10);
    accepted_unchanged(older);
}

TEST_CASE("cpuid_check: a function the PSP does not know must read as zero") {
    Page p;
    const CpuidResult serial{1, 2, 3, 4};
    p.add({0x3, 0}, &serial);  // processor serial number: no AMD CPU has it
    auto c = check(p);
    REQUIRE(c.result.ok());
    CHECK(c.result->rejected == 4);
    REQUIRE(c.rejections.size() == 4);
    CHECK(c.rejections[0].why == CpuidWhy::kUnknownFunction);
    CHECK(c.rejections[0].field == CpuidField::kEax);
    CHECK(c.rejections[3].field == CpuidField::kEdx);
    CHECK(c.rejections[3].allowed == 0);
    CHECK(p.reg(0, kEax) == 0);
    CHECK(check(p).result->accepted());

    Page zero;  // known to nobody but all zero: fine; so is a subleaf of a leaf without them
    const CpuidResult nothing{};
    zero.add({0x3, 0}, &nothing);
    zero.add({0x1, 5}, &nothing);
    accepted_unchanged(zero);

    Page subleaf;
    subleaf.add({0x1, 5});  // leaf 1's answer under ECX 5 is not an entry the PSP knows
    CHECK(check(subleaf).result->rejected == 4);
}

TEST_CASE("cpuid_check: the hypervisor range is not checked") {
    Page p;
    const CpuidResult anything{0x40000010, 0xdeadbeef, 0x12345678, 0xffffffff};
    p.add({0x40000000, 0}, &anything);
    p.add({0x40000100, 7}, &anything);
    accepted_unchanged(p);
}

TEST_CASE("cpuid_check: leaf 0xD sizes follow XCR0_IN and XSS_IN") {
    SUBCASE("XCR0 = x87|SSE|AVX: 0x340 standard (AVX ends at 576 + 256)") {
        Page p;
        const size_t i = p.add({0xd, 0, 0x7});
        p.set_reg(i, kEbx, 0x240);
        const CpuidRejection r = only_rejection(p);
        CHECK(r.why == CpuidWhy::kXsaveSize);
        CHECK(r.allowed == 0x340);
    }
    SUBCASE("XCR0 = x87|SSE|AVX|PKRU: compacted 0x240 + 256 + 8 = 0x348") {
        Page p;
        const size_t i = p.add({0xd, 1, 0x207});
        p.set_reg(i, kEbx, 0x348);
        const size_t j = p.add({0xd, 0, 0x207});
        p.set_reg(j, kEbx, 0x988);  // PKRU ends at 2432 + 8
        accepted_unchanged(p);
    }
    SUBCASE("x87 and SSE must be reported in 0xD/0 EAX") {
        Page p;
        const size_t i = p.add({0xd, 0, 1});
        p.set_reg(i, kEbx, 0x240);
        p.set_reg(i, kEax, 0x205);
        const CpuidRejection r = only_rejection(p);
        CHECK(r.why == CpuidWhy::kRequiredBits);
        CHECK(r.bits == 0x2);
        CHECK(r.allowed == 0x207);
    }
}

TEST_CASE("cpuid_check: leaf 0xD with an XCR0_IN the CPU cannot hold is rejected") {
    SUBCASE("AVX-512 opmask on a CPU without it") {
        Page p;
        const size_t i = p.add({0xd, 0, 0x21});
        p.set_reg(i, kEbx, 0x240);
        auto c = check(p);
        REQUIRE(c.result.ok());
        REQUIRE(c.rejections.size() == 1);
        CHECK(c.rejections[0].field == CpuidField::kXcr0In);
        CHECK(c.rejections[0].why == CpuidWhy::kBadXcr0In);
        CHECK(c.rejections[0].bits == 0x20);
        CHECK(p.xcr0(i) == 0x1);
        CHECK(check(p).result->accepted());
    }
    SUBCASE("x87 clear: XSETBV refuses it") {
        Page p;
        const size_t i = p.add({0xd, 1, 0x6});
        p.set_reg(i, kEbx, 0x340);
        auto c = check(p);
        REQUIRE(c.result.ok());
        REQUIRE(c.rejections.size() == 1);
        CHECK(c.rejections[0].allowed == 0x7);
        CHECK(check(p).result->accepted());
    }
    SUBCASE("XSS components the CPU does not report") {
        Page p;
        const size_t i = p.add({0xd, 1, 1, 0x800});  // CET user state
        p.set_reg(i, kEbx, 0x240);
        auto c = check(p);
        REQUIRE(c.rejections.size() == 1);
        CHECK(c.rejections[0].field == CpuidField::kXssIn);
        CHECK(c.rejections[0].why == CpuidWhy::kBadXssIn);
    }
}

TEST_CASE("cpuid_check: the entry's reserved field must be zero") {
    Page p;
    p.add({0x7, 0});
    p.set(16 + 40, 0x1234, 8);
    const CpuidRejection r = only_rejection(p);
    CHECK(r.field == CpuidField::kReserved);
    CHECK(r.why == CpuidWhy::kReservedNotZero);
    CHECK(r.allowed == 0);
}

TEST_CASE("cpuid_check: every refused value is reported, in entry order") {
    Page p;
    p.add({0x0, 0});
    const size_t a = p.add({0x7, 0});
    p.set_reg(a, kEbx, 0xffffffff);
    const size_t b = p.add({0x8000001f, 0});
    p.set_reg(b, kEax, 0xffffffff);
    p.set_reg(b, kEbx, 0);
    auto c = check(p);
    REQUIRE(c.result.ok());
    CHECK(c.result->entries == 3);
    REQUIRE(c.rejections.size() == 3);
    CHECK(c.rejections[0].entry == 1);
    CHECK(c.rejections[0].bits == ~0x219c07a9u);
    CHECK(c.rejections[1].entry == 2);
    CHECK(c.rejections[1].field == CpuidField::kEax);
    CHECK(c.rejections[1].allowed == 0x3b);
    CHECK(c.rejections[2].field == CpuidField::kEbx);
    CHECK(c.rejections[2].allowed == 47);  // 0 VMPLs and reduction 0 may stay: only the C-bit is refused
    CHECK(check(p).result->accepted());
}

TEST_CASE("cpuid_check: the page itself is refused without correction") {
    struct Case {
        const char* what;
        void (*make)(Page&);
        Error want;
    };
    const Case cases[] = {
        {"count above 64", [](Page& p) { p.set(0, 65, 4); }, Error::kOutOfRange},
        {"count far above 64", [](Page& p) { p.set(0, 0xffffffff, 4); }, Error::kOutOfRange},
        {"reserved header word",
         [](Page& p) {
             p.add({0x7, 0}), p.set(4, 1, 4);
         },
         Error::kInvalidArgument},
        {"reserved header quadword", [](Page& p) { p.set(15, 0x80, 1); }, Error::kInvalidArgument},
        {"the same function twice",
         [](Page& p) {
             p.add({0x7, 0}), p.add({0x7, 0});
         },
         Error::kInvalidArgument},
        {"0xD/0 twice for one XCR0",
         [](Page& p) {
             const CpuidResult r{0x207, 0x240, 0x988, 0};
             p.add({0xd, 0, 1}, &r), p.add({0xd, 0, 1}, &r);
         },
         Error::kInvalidArgument},
        {"0xD/0 twice once XCR0_IN is corrected",
         [](Page& p) {
             const CpuidResult r{0x207, 0x240, 0x988, 0};
             p.add({0xd, 0, 1}, &r), p.add({0xd, 0, 0x21}, &r);
         },
         Error::kInvalidArgument},
        {"hypervisor leaf twice",
         [](Page& p) {
             p.add({0x40000000, 0}), p.add({0x40000000, 0});
         },
         Error::kInvalidArgument},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        Page p;
        p.set(16 + 48 * 3, 0xab, 1);  // a byte past the entries, to see nothing is written
        c.make(p);
        const Page before = p;
        auto r = check(p);
        REQUIRE_FALSE(r.result.ok());
        CHECK(r.result.error() == c.want);
        CHECK(r.rejections.empty());
        CHECK(p.bytes == before.bytes);
    }
}

TEST_CASE("cpuid_check: boundaries of the count") {
    Page empty;
    accepted_unchanged(empty);
    CHECK(check(empty).result->entries == 0);

    Page full;                    // 64 distinct entries: Intel's cache leaf 4 subleaves 0..63, all zero, are
    const CpuidResult nothing{};  // in the PSP's list only as subleaf 0; the others are unknown zeros
    for (uint32_t s = 0; s < 64; ++s) full.add({0x4, s}, &nothing);
    REQUIRE(full.count() == 64);
    accepted_unchanged(full);
}

TEST_CASE("cpuid_edit: edits parse and apply to the named entry, or append one") {
    CpuidEditSyntax why;
    auto e = parse_cpuid_edits("0x7:0:ebx|=0x10000;0x3:0:eax=5\n1:0:ecx&=0xfffffffe;0xd:0:xcr0_in^=0x20\n", &why);
    REQUIRE(e.ok());
    REQUIRE(e->count == 4);
    CHECK(e->edits[0].function == 7);
    CHECK(e->edits[0].field == CpuidField::kEbx);
    CHECK(e->edits[0].op == CpuidEditOp::kOr);
    CHECK(e->edits[0].value == 0x10000);
    CHECK(e->edits[1].op == CpuidEditOp::kSet);
    CHECK(e->edits[2].function == 1);
    CHECK(e->edits[2].op == CpuidEditOp::kAnd);
    CHECK(e->edits[3].field == CpuidField::kXcr0In);
    CHECK(e->edits[3].op == CpuidEditOp::kXor);

    Page p;
    p.add({0x7, 0});
    p.add({0x1, 0});
    REQUIRE(apply_cpuid_edits(*e, p.bytes).ok());
    CHECK(p.count() == 4);  // 0x3 and 0xD/0 appended
    CHECK(p.reg(0, kEbx) == (0x219c07a9 | 0x10000));
    CHECK(p.reg(1, kEcx) == (0x76f8320b & 0xfffffffe));
    CHECK(load_le<uint32_t>(p.bytes, 16 + 48 * 2) == 3);
    CHECK(p.reg(2, kEax) == 5);
    CHECK(p.xcr0(3) == 0x20);
}

TEST_CASE("cpuid_edit: malformed edits are refused with where and why") {
    struct Case {
        const char* text;
        size_t at;
        const char* what;
    };
    const Case cases[] = {
        {"", 0, "no edit"},
        {";", 0, "no edit"},
        {"0x7:0:ebx|=1;;1:0:eax=1", 13, "empty edit between separators"},
        {"0x7:0", 0, "expected FUNCTION:SUBLEAF:FIELD OP VALUE"},
        {"0x7", 0, "expected FUNCTION:SUBLEAF:FIELD OP VALUE"},
        {"0x7g:0:ebx=1", 0, "FUNCTION is not a 32-bit number"},
        {"0x100000000:0:ebx=1", 0, "FUNCTION is not a 32-bit number"},
        {"7::ebx=1", 0, "SUBLEAF is not a 32-bit number"},
        {"7:0:ebx", 0, "expected FIELD followed by =, |=, &= or ^="},
        {"7:0:=1", 0, "expected FIELD followed by =, |=, &= or ^="},
        {"7:0:esi=1", 0, "FIELD is not eax, ebx, ecx, edx, xcr0_in, xss_in or reserved"},
        {"7:0:EBX=1", 0, "FIELD is not eax, ebx, ecx, edx, xcr0_in, xss_in or reserved"},
        {"7:0:ebx+=1", 0, "FIELD is not eax, ebx, ecx, edx, xcr0_in, xss_in or reserved"},
        {"7:0:ebx=", 0, "VALUE is not a number (decimal or 0x hex)"},
        {"7:0:ebx= 1", 0, "VALUE is not a number (decimal or 0x hex)"},
        {"7:0:ebx=0x", 0, "VALUE is not a number (decimal or 0x hex)"},
        {"7:0:ebx=0x100000000", 0, "VALUE is wider than the 32-bit register"},
        {"7:0:ebx=1;1:0:eax=zz", 10, "VALUE is not a number (decimal or 0x hex)"},
        {"1:0:eax=1;1:0:eax=1;1:0:eax=1;1:0:eax=1;1:0:eax=1;1:0:eax=1;1:0:eax=1;1:0:eax=1;1:0:eax=1", 80,
         "more than 8 edits"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.text);
        CpuidEditSyntax why;
        auto e = parse_cpuid_edits(c.text, &why);
        REQUIRE_FALSE(e.ok());
        CHECK(e.error() == Error::kInvalidArgument);
        CHECK(why.at == c.at);
        CHECK(std::string(why.what) == c.what);
    }
    // 64-bit fields take 64-bit values.
    CHECK(parse_cpuid_edits("0xd:0:xcr0_in=0xffffffffffffffff").ok());
}

TEST_CASE("cpuid_edit: an edit that needs a 65th entry is refused") {
    Page p;
    const CpuidResult nothing{};
    for (uint32_t s = 0; s < 64; ++s) p.add({0x4, s}, &nothing);
    auto e = parse_cpuid_edits("0x3:0:eax=1");
    REQUIRE(e.ok());
    CHECK(apply_cpuid_edits(*e, p.bytes).error() == Error::kOutOfRange);
    auto existing = parse_cpuid_edits("0x4:63:eax=1");
    CHECK(apply_cpuid_edits(*existing, p.bytes).ok());
}
