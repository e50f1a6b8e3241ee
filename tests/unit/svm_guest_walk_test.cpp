#include <doctest/doctest.h>

#include <map>

#include "warden/svm/guest_walk.hpp"

using namespace warden;
using namespace warden::svm;

namespace {

constexpr uint64_t kC = uint64_t{1} << 47;

// Guest memory of 1 GiB as a sparse map of 8-byte words.
class Mem final : public GuestPhysReader {
public:
    bool read_u64(uint64_t gpa, uint64_t& out) override {
        if (gpa >= (uint64_t{1} << 30) || (gpa & 7)) return false;
        auto it = words.find(gpa);
        out = it == words.end() ? 0 : it->second;
        return true;
    }
    void put(uint64_t table, unsigned index, uint64_t e) { words[table + index * 8] = e; }
    std::map<uint64_t, uint64_t> words;
};

unsigned idx(uint64_t va, int level) { return (va >> (12 + 9 * (level - 1))) & 511; }

}  // namespace

TEST_CASE("svm guest_walk: 4 KiB, 2 MiB and 1 GiB leaves, C-bit stripped from tables and reported for the leaf") {
    Mem m;
    const uint64_t va = 0xffffffff80201234;
    m.put(0x1000, idx(va, 4), 0x2000 | kC | 3);
    m.put(0x2000, idx(va, 3), 0x3000 | kC | 3);
    m.put(0x3000, idx(va, 2), 0x4000 | kC | 3);
    m.put(0x4000, idx(va, 1), 0x123000 | kC | 3);
    auto t = walk(m, 0x1000 | kC, kC, va, true);
    REQUIRE(t);
    CHECK(t->gpa == 0x123234);
    CHECK(t->encrypted);
    CHECK(t->writable);
    CHECK(t->page_bytes == 4096);

    m.put(0x3000, idx(va, 2), 0x400000 | 0x83);  // 2 MiB, shared
    t = walk(m, 0x1000, kC, va, false);
    REQUIRE(t);
    CHECK(t->gpa == 0x400000 + (va & 0x1fffff));
    CHECK_FALSE(t->encrypted);
    CHECK(t->page_bytes == (2u << 20));

    m.put(0x2000, idx(va, 3), 0x40000000 | kC | 0x81);  // 1 GiB, read-only
    t = walk(m, 0x1000, kC, va, false);
    REQUIRE(t);
    CHECK(t->gpa == 0x40000000 + (va & 0x3fffffff));
    CHECK_FALSE(t->writable);
}

TEST_CASE("svm guest_walk: faults, with the exact error") {
    Mem m;
    CHECK(walk(m, 0x1000, kC, 0x0000800000000000, false).error() == Error::kInvalidArgument);  // not canonical
    CHECK(walk(m, 0x1000, kC, 0x1000, false).error() == Error::kNotMapped);
    m.put(0x1000, 0, 0x2000 | 1);  // present, read-only
    m.put(0x2000, 0, 0x3000 | 3);
    m.put(0x3000, 0, 0x200000 | 0x83);
    CHECK(walk(m, 0x1000, kC, 0x1000, false));
    CHECK(walk(m, 0x1000, kC, 0x1000, true).error() == Error::kDenied);
    m.put(0x3000, 0, 0x7fff0000000 | 3);  // a table beyond guest memory
    CHECK(walk(m, 0x1000, kC, 0x1000, false).error() == Error::kOutOfRange);
}
