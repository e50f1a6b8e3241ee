#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "byte_builder.hpp"
#include "warden/bytes.hpp"
#include "warden/sev/cpuid_table.hpp"

using namespace warden;
using namespace warden::sev;
using test_bytes::Bytes;
using test_bytes::put_le;

namespace {
struct E {
    uint32_t leaf, subleaf, eax, ebx, ecx, edx;
};
Bytes page(std::initializer_list<E> entries, uint32_t count_override = ~0u) {
    Bytes b(4096, 0);
    size_t i = 0;
    for (const E& e : entries) {
        const size_t at = CpuidTable::kHeaderSize + i++ * CpuidTable::kEntrySize;
        put_le(b, at, e.leaf, 4);
        put_le(b, at + 4, e.subleaf, 4);
        put_le(b, at + 24, e.eax, 4);
        put_le(b, at + 28, e.ebx, 4);
        put_le(b, at + 32, e.ecx, 4);
        put_le(b, at + 36, e.edx, 4);
    }
    put_le(b, 0, count_override == ~0u ? entries.size() : count_override, 4);
    return b;
}
}  // namespace

TEST_CASE("cpuid_table: layout of SNP firmware ABI: 16-byte header, 48-byte entries, outputs at +24") {
    auto t = CpuidTable::parse(page({{0, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65},
                                     {7, 0, 0, 1, 2, 3},
                                     {7, 1, 0, 4, 5, 6},
                                     {0x8000001f, 9, 0x1b, 0x33, 0, 0}}));
    REQUIRE(t.ok());
    CHECK(t->size() == 4);
    CHECK(t->lookup(0, 0).ebx == 0x68747541);
    CHECK(t->lookup(0, 5).ebx == 0x68747541);     // leaf 0 has no subleaves: ECX is ignored
    CHECK(t->lookup(7, 1).edx == 6);              // leaf 7 has: ECX selects
    CHECK(t->lookup(7, 2).eax == 0);              // absent subleaf reads as zeros
    CHECK(t->lookup(0x8000001f, 0).ebx == 0x33);  // ecx_in of a leaf without subleaves is ignored
    CHECK_FALSE(t->contains(0x40000000, 0));
}

TEST_CASE("cpuid_table: malformed pages are refused") {
    CHECK(CpuidTable::parse(Bytes(8, 0)).error() == Error::kTruncated);
    CHECK(CpuidTable::parse(page({}, 65)).error() == Error::kOutOfRange);
    Bytes short_page = page({{1, 0, 1, 1, 1, 1}, {2, 0, 2, 2, 2, 2}});
    short_page.resize(CpuidTable::kHeaderSize + CpuidTable::kEntrySize + 10);
    CHECK(CpuidTable::parse(short_page).error() == Error::kTruncated);
    CHECK(CpuidTable::parse(page({{1, 0, 1, 1, 1, 1}, {1, 0, 2, 2, 2, 2}})).error() == Error::kInvalidArgument);
    CHECK(CpuidTable::parse(page({{1, 0, 1, 1, 1, 1}, {1, 3, 2, 2, 2, 2}})).error() == Error::kInvalidArgument);
    CHECK(CpuidTable::parse(page({{4, 0, 1, 1, 1, 1}, {4, 3, 2, 2, 2, 2}})).ok());  // leaf 4 has subleaves
    CHECK(CpuidTable::parse(page({}, 0))->size() == 0);
    CHECK(CpuidTable::parse(page({}, 64)).error() == Error::kInvalidArgument);  // leaf 0 sixty-four times
}

namespace {
// A CPU for build_cpuid_page: range maxima and XSAVE components as set; any
// other leaf answers values made from its inputs, so each entry is
// recognisable. Records what it was asked.
struct FakeCpu {
    uint32_t max_basic = 0x10, max_hyp = 0x40000001, max_ext = 0x80000021;
    uint64_t xcr0_components = 0x207;  // x87, SSE, AVX, PKRU
    uint64_t xss_components = 0x1800;  // CET user and supervisor
    std::vector<CpuidQuery> asked;

    CpuidResult operator()(uint32_t leaf, uint32_t subleaf) {
        asked.push_back({leaf, subleaf});
        switch (leaf) {
        case 0: return {max_basic, 0x68747541, 0x444d4163, 0x69746e65};
        case 0x40000000: return {max_hyp, 0x4b4d564b, 0x564b4d56, 0x4d};
        case 0x80000000: return {max_ext, 0, 0, 0};
        default: break;
        }
        if (leaf == 0xd && subleaf == 0) {
            return {static_cast<uint32_t>(xcr0_components), 0x988, 0x988, static_cast<uint32_t>(xcr0_components >> 32)};
        }
        if (leaf == 0xd && subleaf == 1) {
            return {0xf, 0x998, static_cast<uint32_t>(xss_components), static_cast<uint32_t>(xss_components >> 32)};
        }
        return made_from(leaf, subleaf);
    }
    static CpuidResult made_from(uint32_t leaf, uint32_t subleaf) {
        return {leaf ^ 0x5a5a0000, subleaf + 1, leaf + subleaf, ~leaf};
    }
    bool was_asked(uint32_t leaf) const {
        for (const CpuidQuery& q : asked) {
            if (q.leaf == leaf) return true;
        }
        return false;
    }
};

using Page = std::array<uint8_t, kCpuidPageSize>;

Result<size_t> build(std::span<const CpuidQuery> leaves, FakeCpu& cpu, Page& out) {
    return build_cpuid_page(
        leaves, [&cpu](uint32_t leaf, uint32_t subleaf) { return cpu(leaf, subleaf); }, out);
}
bool same(CpuidResult a, CpuidResult b) { return a.eax == b.eax && a.ebx == b.ebx && a.ecx == b.ecx && a.edx == b.edx; }
bool all(const Page& p, size_t from, size_t to, uint8_t value) {
    for (size_t i = from; i < to; ++i) {
        if (p[i] != value) return false;
    }
    return true;
}
}  // namespace

TEST_CASE("cpuid_table: a built page has the firmware ABI layout, and nothing after its entries") {
    FakeCpu cpu;
    Page out;
    out.fill(0xee);
    const CpuidQuery leaves[] = {{1, 0}, {0xd, 0}};
    REQUIRE(build(leaves, cpu, out).value() == 2);
    CHECK(load_le<uint32_t>(out, 0) == 2);  // count
    CHECK(all(out, 4, 16, 0));              // reserved
    const auto e = std::span<const uint8_t>(out).subspan(16);
    CHECK(load_le<uint32_t>(e, 0) == 1);   // eax_in
    CHECK(load_le<uint32_t>(e, 4) == 0);   // ecx_in
    CHECK(load_le<uint64_t>(e, 8) == 0);   // xcr0_in
    CHECK(load_le<uint64_t>(e, 16) == 0);  // xss_in
    CHECK(load_le<uint32_t>(e, 24) == (1 ^ 0x5a5a0000u));
    CHECK(load_le<uint32_t>(e, 28) == 1);
    CHECK(load_le<uint32_t>(e, 32) == 1);
    CHECK(load_le<uint32_t>(e, 36) == ~1u);
    CHECK(load_le<uint64_t>(e, 40) == 0);  // reserved
    // 0xD/0: the entry for XCR0 = x87 (as QEMU writes it), whatever XCR0 the CPU has now.
    CHECK(load_le<uint32_t>(e, 48) == 0xd);
    CHECK(load_le<uint64_t>(e, 48 + 8) == 1);   // xcr0_in
    CHECK(load_le<uint64_t>(e, 48 + 16) == 0);  // xss_in
    CHECK(load_le<uint32_t>(e, 48 + 24) == 0x207);
    CHECK(load_le<uint32_t>(e, 48 + 28) == 0x240);  // the legacy XSAVE size, not 0x988
    CHECK(all(out, 16 + 2 * 48, out.size(), 0));
}

TEST_CASE("cpuid_table: the default guest leaves round-trip through CpuidTable::parse") {
    FakeCpu cpu;
    Page out{};
    auto n = build(default_guest_leaves(), cpu, out);
    REQUIRE(n.ok());
    auto t = CpuidTable::parse(out);
    REQUIRE(t.ok());
    CHECK(t->size() == *n);
    // 14 basic (0xD: 0, 1 and the components AVX, PKRU, CET_U, CET_S), 2 hypervisor, 16 extended.
    CHECK(*n == 32);
    CHECK(t->lookup(0, 0).ebx == 0x68747541);
    CHECK(same(t->lookup(7, 1), FakeCpu::made_from(7, 1)));
    CHECK(same(t->lookup(0x8000001f, 0), FakeCpu::made_from(0x8000001f, 0)));
    CHECK(same(t->lookup(0x8000001d, 3), FakeCpu::made_from(0x8000001d, 3)));
    CHECK(t->lookup(0x40000000, 0).ebx == 0x4b4d564b);
    CHECK(t->lookup(0xd, 1).ecx == 0x1800);
    for (uint32_t c : {2u, 9u, 11u, 12u}) CHECK(same(t->lookup(0xd, c), FakeCpu::made_from(0xd, c)));
    for (uint32_t c : {3u, 4u, 5u, 8u, 10u, 17u, 18u, 19u}) CHECK_FALSE(t->contains(0xd, c));
}

TEST_CASE("cpuid_table: leaves above their range's maximum are left out and never asked") {
    FakeCpu cpu;
    cpu.max_basic = 7;
    cpu.max_hyp = 0;  // no hypervisor leaves
    cpu.max_ext = 0x80000008;
    Page out{};
    REQUIRE(build(default_guest_leaves(), cpu, out).value() == 6 + 9);
    auto t = CpuidTable::parse(out);
    REQUIRE(t.ok());
    CHECK(t->contains(7, 1));
    CHECK(t->contains(0x80000008, 0));
    for (uint32_t leaf : {0xbu, 0xdu, 0x40000000u, 0x40000001u, 0x8000001du, 0x8000001fu, 0x80000021u}) {
        CAPTURE(leaf);
        CHECK_FALSE(t->contains(leaf, 0));
        CHECK((leaf == 0x40000000 || !cpu.was_asked(leaf)));  // 0x40000000 reports the maximum
    }

    // A CPU that reports no extended range: not even 0x80000000 goes in.
    FakeCpu old;
    old.max_ext = 0x10;
    const CpuidQuery ext[] = {{0, 0}, {0x80000000, 0}, {0x80000001, 0}};
    CHECK(build(ext, old, out).value() == 1);
}

TEST_CASE("cpuid_table: the subleaf of a leaf without subleaves is written and asked as 0") {
    FakeCpu cpu;
    Page out{};
    const CpuidQuery leaves[] = {{1, 7}, {7, 1}};
    REQUIRE(build(leaves, cpu, out).value() == 2);
    CHECK(load_le<uint32_t>(out, 16 + 4) == 0);
    CHECK(load_le<uint32_t>(out, 64 + 4) == 1);
    CHECK(cpu.asked[1].leaf == 1);
    CHECK(cpu.asked[1].subleaf == 0);
}

TEST_CASE("cpuid_table: a plain function with a context builds the same page (the freestanding form)") {
    FakeCpu cpu;
    CpuidSource source{
        [](void* c, uint32_t leaf, uint32_t subleaf) { return (*static_cast<FakeCpu*>(c))(leaf, subleaf); }, &cpu};
    Page a{}, b{};
    REQUIRE(build_cpuid_page(default_guest_leaves(), source, a).ok());
    FakeCpu again;
    REQUIRE(build(default_guest_leaves(), again, b).ok());
    CHECK(a == b);
}

TEST_CASE("cpuid_table: building refuses too many leaves and duplicates, whatever the CPU, and leaves no entries") {
    FakeCpu cpu;
    Page out;
    std::vector<CpuidQuery> many;
    for (uint32_t i = 0; i < 65; ++i) many.push_back({0xd, i});
    out.fill(0xee);
    CHECK(build(many, cpu, out).error() == Error::kOutOfRange);
    CHECK(all(out, 0, out.size(), 0));
    many.pop_back();
    CHECK(build(many, cpu, out).value() == 6);  // 0xD/0, 0xD/1 and the four components the CPU has

    cpu.asked.clear();
    cpu.max_ext = 0x80000008;
    const std::vector<std::vector<CpuidQuery>> duplicates = {
        {{7, 0}, {7, 0}},
        {{1, 0}, {1, 3}},                    // leaf 1 has no subleaves: both are (1, 0)
        {{0x8000001f, 0}, {0x8000001f, 0}},  // above the maximum, still the caller's mistake
    };
    for (const auto& d : duplicates) {
        out.fill(0xee);
        CHECK(build(d, cpu, out).error() == Error::kInvalidArgument);
        CHECK(all(out, 0, out.size(), 0));
    }
    CHECK(cpu.asked.empty());
    const CpuidQuery leaf4[] = {{4, 0}, {4, 3}};  // leaf 4 has subleaves
    CHECK(build(leaf4, cpu, out).ok());
}

TEST_CASE("cpuid_table: the default guest leaves fit a page, with no two alike") {
    const auto leaves = default_guest_leaves();
    CHECK(leaves.size() <= CpuidTable::kMaxEntries);
    FakeCpu everything;
    everything.xcr0_components = ~uint64_t{0};
    Page out{};
    CHECK(build(leaves, everything, out).value() == leaves.size());
    CHECK(CpuidTable::parse(out).ok());
}
