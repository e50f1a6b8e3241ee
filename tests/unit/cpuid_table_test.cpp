#include <doctest/doctest.h>

#include "byte_builder.hpp"
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
