#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "warden/igvm/igvm.hpp"

using namespace warden;
using namespace warden::igvm;

namespace {

using Bytes = std::vector<uint8_t>;

// A small file: a platform header, a page of data, its PAGE_DATA header.
Bytes sample() {
    static std::vector<uint8_t> buf(64 * 1024);
    Writer w(buf, 512);
    uint8_t platform[16] = {1, 0, 0, 0, 0, kPlatformSevSnp, 1, 0};
    REQUIRE(w.add(HeaderType::kSupportedPlatform, platform).ok());
    std::vector<uint8_t> page(4096, 0xab);
    auto off = w.add_data(page);
    REQUIRE(off.ok());
    uint8_t pd[24] = {};
    pd[1] = 0x10;  // GPA 0x1000
    pd[8] = 1;     // compatibility mask
    std::memcpy(pd + 12, &*off, 4);
    REQUIRE(w.add(HeaderType::kPageData, pd).ok());
    uint8_t odd[5] = {1, 2, 3, 4, 5};  // a body that needs padding
    REQUIRE(w.add(HeaderType::kGuestPolicy, odd).ok());
    auto file = w.finish();
    REQUIRE(file.ok());
    return Bytes(file->begin(), file->end());
}

void put32(Bytes& b, size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }

void fix_checksum(Bytes& b) {
    uint32_t var_offset, var_size;
    std::memcpy(&var_offset, b.data() + 8, 4);
    std::memcpy(&var_size, b.data() + 12, 4);
    put32(b, 20, 0);
    uint32_t crc = crc32(std::span<const uint8_t>(b.data(), 24));
    crc = crc32(std::span<const uint8_t>(b.data() + var_offset, var_size), crc);
    put32(b, 20, crc);
}

}  // namespace

TEST_CASE("igvm: constants follow igvm_defs (SPEC-FACTS 9)") {
    CHECK(kMagic == 0x4d564749);
    CHECK(static_cast<uint32_t>(HeaderType::kSupportedPlatform) == 0x001);
    CHECK(static_cast<uint32_t>(HeaderType::kPageData) == 0x302);
    CHECK(static_cast<uint32_t>(HeaderType::kVpContext) == 0x304);
    CHECK(static_cast<uint32_t>(HeaderType::kRequiredMemory) == 0x305);
    CHECK(kPlatformSevSnp == 2);
}

TEST_CASE("igvm: CRC-32 matches the standard check value") {
    const char* s = "123456789";
    CHECK(crc32(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s), 9)) == 0xcbf43926);
    CHECK(crc32(std::span<const uint8_t>()) == 0);
}

TEST_CASE("igvm: a written file reads back with its headers in order") {
    const Bytes f = sample();
    auto parsed = std::make_unique<File>();
    REQUIRE(parse(f, *parsed).ok());
    REQUIRE(parsed->count == 3);
    CHECK(parsed->headers[0].type == HeaderType::kSupportedPlatform);
    CHECK(parsed->headers[1].type == HeaderType::kPageData);
    CHECK(parsed->headers[2].body.size() == 5);
    CHECK(parsed->total_size == f.size());
    uint32_t offset;
    std::memcpy(&offset, parsed->headers[1].body.data() + 12, 4);
    CHECK(offset % 4096 == 0);
    CHECK(f[offset] == 0xab);
}

TEST_CASE("igvm: malformed files are refused with the exact error, and change nothing") {
    const Bytes good = sample();
    auto out = std::make_unique<File>();
    out->count = 77;
    struct Case {
        const char* what;
        Bytes bytes;
        Error expected;
    };
    std::vector<Case> cases;
    cases.push_back({"empty", {}, Error::kTruncated});
    cases.push_back({"shorter than the total size", Bytes(good.begin(), good.end() - 1), Error::kTruncated});
    Bytes magic = good;
    magic[0] ^= 1;
    cases.push_back({"bad magic", magic, Error::kBadMagic});
    Bytes version = good;
    put32(version, 4, 9);
    cases.push_back({"unknown version", version, Error::kBadVersion});
    Bytes checksum = good;
    checksum[30] ^= 1;  // inside the first variable header
    cases.push_back({"checksum mismatch", checksum, Error::kInvalidArgument});
    Bytes var_past = good;
    put32(var_past, 12, 0xfffffff0);
    cases.push_back({"variable headers past the end", var_past, Error::kOutOfRange});
    Bytes var_inside_fixed = good;
    put32(var_inside_fixed, 8, 8);
    cases.push_back({"variable headers overlap the fixed header", var_inside_fixed, Error::kOutOfRange});
    Bytes overrun = good;
    put32(overrun, 24 + 4, 4000);  // first header claims 4000 bytes
    fix_checksum(overrun);
    cases.push_back({"a header overruns the area", overrun, Error::kInvalidArgument});
    for (const Case& c : cases) {
        CAPTURE(c.what);
        CHECK(parse(c.bytes, *out).error() == c.expected);
        CHECK(out->count == 77);
    }
}

TEST_CASE("igvm: the writer refuses what does not fit") {
    std::vector<uint8_t> small(8192);
    Writer w(small, 32);
    uint8_t body[16] = {};
    CHECK(w.add(HeaderType::kGuestPolicy, body).ok());
    CHECK(w.add(HeaderType::kGuestPolicy, body).error() == Error::kNoMemory);  // 24 + 24 > 32 + 24
    std::vector<uint8_t> page(8192);
    CHECK(w.add_data(page).error() == Error::kNoMemory);
}

TEST_CASE("igvm: PAGE_INFO is the 112-byte layout the PSP hashes (SPEC-FACTS 8)") {
    std::array<uint8_t, 48> cur{}, contents{};
    cur[0] = 0x11;
    contents[47] = 0x22;
    const auto p = page_info(cur, contents, SnpPageType::kVmsa, 0xfffff000);
    CHECK(p.size() == 112);
    CHECK(p[0] == 0x11);
    CHECK(p[95] == 0x22);
    CHECK(p[96] == 0x70);
    CHECK(p[97] == 0);
    CHECK(p[98] == 2);
    CHECK(p[104] == 0x00);
    CHECK(p[105] == 0xf0);
    CHECK(p[107] == 0xff);
    CHECK(p[111] == 0);
}

TEST_CASE("igvm: a file written by an independent implementation parses") {
    // tests/fuzz/corpus/igvm/two_headers was made with Python's struct and zlib.crc32.
    std::ifstream in(WARDEN_SOURCE_DIR "/tests/fuzz/corpus/igvm/two_headers", std::ios::binary);
    REQUIRE(in.good());
    const Bytes f((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = std::make_unique<File>();
    REQUIRE(parse(f, *parsed).ok());
    CHECK(parsed->count == 2);
    CHECK(parsed->headers[0].type == HeaderType::kSupportedPlatform);
    CHECK(parsed->headers[0].body[5] == kPlatformSevSnp);
    CHECK(parsed->headers[1].body.size() == 24);
}
