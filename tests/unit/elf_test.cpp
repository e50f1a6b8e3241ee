#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "byte_builder.hpp"
#include "warden/elf.hpp"

using namespace warden;

namespace {

using Bytes = std::vector<uint8_t>;
constexpr uint64_t kLow = 0x400000, kHigh = 0x800000000000;

using test_bytes::put_le;
constexpr auto put = put_le;

struct Ph {
    uint32_t type, flags;
    uint64_t offset, vaddr, filesz, memsz;
};

// A file with the given program headers; content bytes are zeros up to `size`.
Bytes make(std::initializer_list<Ph> phs, uint64_t entry = 0x401000, size_t size = 0x3000) {
    Bytes b(size, 0);
    const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    std::memcpy(b.data(), ident, sizeof ident);
    put(b, 16, elf::kTypeExec, 2);
    put(b, 18, elf::kMachineX86_64, 2);
    put(b, 20, 1, 4);
    put(b, 24, entry, 8);
    put(b, 32, 64, 8);
    put(b, 52, 64, 2);
    put(b, 54, 56, 2);
    put(b, 56, phs.size(), 2);
    size_t at = 64;
    for (const Ph& p : phs) {
        put(b, at, p.type, 4);
        put(b, at + 4, p.flags, 4);
        put(b, at + 8, p.offset, 8);
        put(b, at + 16, p.vaddr, 8);
        put(b, at + 24, p.vaddr, 8);
        put(b, at + 32, p.filesz, 8);
        put(b, at + 40, p.memsz, 8);
        put(b, at + 48, 0x1000, 8);
        at += 56;
    }
    return b;
}

constexpr uint32_t RX = elf::kPfR | elf::kPfX, R = elf::kPfR, RW = elf::kPfR | elf::kPfW;
const Ph kText{elf::kPtLoad, RX, 0x1000, 0x401000, 0x800, 0x800};
const Ph kData{elf::kPtLoad, RW, 0x2000, 0x402000, 0x100, 0x3000};

}  // namespace

TEST_CASE("elf: constants follow the gABI and psABI") {
    CHECK(elf::kHeaderSize == 64);
    CHECK(elf::kPhdrSize == 56);
    CHECK(elf::kMachineX86_64 == 62);
    CHECK(elf::kPtLoad == 1);
    CHECK(elf::kPtNote == 4);
}

TEST_CASE("elf: a text and a data segment parse with their rights") {
    const auto img = elf::parse(make({kText, kData}), kLow, kHigh);
    REQUIRE(img.ok());
    CHECK(img->entry == 0x401000);
    REQUIRE(img->count == 2);
    CHECK(img->segments[0].executable);
    CHECK_FALSE(img->segments[0].writable);
    CHECK(img->segments[1].writable);
    CHECK(img->segments[1].memsz == 0x3000);  // .bss beyond filesz
    CHECK(img->manifest.empty());
}

TEST_CASE("elf: the program headers' address once loaded (AT_PHDR), where a segment holds them") {
    // As a static glibc binary: a read-only first segment from file offset 0.
    const Ph head{elf::kPtLoad, R, 0, 0x400000, 0x200, 0x200};
    const auto img = elf::parse(make({head, kText, kData}), kLow, kHigh);
    REQUIRE(img.ok());
    CHECK(img->phdr == 0x400040);
    CHECK(img->phnum == 3);
    const auto none = elf::parse(make({kText, kData}), kLow, kHigh);  // no segment loads the headers
    REQUIRE(none.ok());
    CHECK(none->phdr == 0);
}

TEST_CASE("elf: the Warden note is found as the manifest") {
    Bytes f = make({kText, {elf::kPtNote, R, 0x2800, 0, 28, 28}});
    put(f, 0x2800, 7, 4);  // namesz "Warden\0"
    put(f, 0x2804, 8, 4);  // descsz
    put(f, 0x2808, 1, 4);  // type
    std::memcpy(f.data() + 0x280c, "Warden", 7);
    put(f, 0x2814, 0x1122334455667788, 8);
    const auto img = elf::parse(f, kLow, kHigh);
    REQUIRE(img.ok());
    REQUIRE(img->manifest.size() == 8);
    CHECK(img->manifest[0] == 0x88);
}

TEST_CASE("elf: malformed executables are refused with the exact error") {
    Bytes bad_magic = make({kText});
    bad_magic[1] = 'X';
    Bytes elf32 = make({kText});
    elf32[4] = 1;
    Bytes big_endian = make({kText});
    big_endian[5] = 2;
    Bytes shared_object = make({kText});
    put(shared_object, 16, 3, 2);
    Bytes arm = make({kText});
    put(arm, 18, 183, 2);
    Bytes bad_phentsize = make({kText});
    put(bad_phentsize, 54, 32, 2);
    Bytes phdrs_past_end = make({kText});
    put(phdrs_past_end, 32, 0x2ff0, 8);
    Bytes phoff_wraps = make({kText});
    put(phoff_wraps, 32, ~uint64_t{0} - 10, 8);
    Bytes too_many = make({kText});
    const Bytes good = make({kText});
    put(too_many, 56, 17, 2);
    struct Case {
        const char* what;
        Bytes file;
        Error expected;
    };
    const Case cases[] = {
        {"empty", {}, Error::kTruncated},
        {"header cut short", Bytes(good.begin(), good.begin() + 63), Error::kTruncated},
        {"bad magic", bad_magic, Error::kBadMagic},
        {"32-bit", elf32, Error::kUnsupported},
        {"big endian", big_endian, Error::kUnsupported},
        {"not EXEC", shared_object, Error::kUnsupported},
        {"not x86-64", arm, Error::kUnsupported},
        {"odd phentsize", bad_phentsize, Error::kInvalidArgument},
        {"program headers past the end", phdrs_past_end, Error::kTruncated},
        {"program header offset wraps", phoff_wraps, Error::kTruncated},
        {"too many program headers", too_many, Error::kOutOfRange},
        {"segment data past the end", make({{elf::kPtLoad, RX, 0x2800, 0x401000, 0x1000, 0x1000}}), Error::kTruncated},
        {"segment offset wraps", make({{elf::kPtLoad, RX, ~uint64_t{0}, 0x401000, 2, 2}}), Error::kOverflow},
        {"filesz above memsz", make({{elf::kPtLoad, RX, 0x1000, 0x401000, 0x800, 0x400}}), Error::kInvalidArgument},
        {"below the task half's floor", make({{elf::kPtLoad, RX, 0x1000, 0x1000, 0x800, 0x800}}, 0x1000),
         Error::kOutOfRange},
        {"into the kernel half", make({{elf::kPtLoad, RX, 0x1000, 0xffffffff80001000, 0x800, 0x800}}),
         Error::kOutOfRange},
        {"vaddr wraps", make({{elf::kPtLoad, RX, 0x1000, ~uint64_t{0} - 0xfff, 0x800, 0x2000}}), Error::kOverflow},
        {"vaddr and offset disagree", make({{elf::kPtLoad, RX, 0x1000, 0x401800, 0x800, 0x800}}), Error::kMisaligned},
        {"writable and executable", make({{elf::kPtLoad, RX | elf::kPfW, 0x1000, 0x401000, 0x800, 0x800}}),
         Error::kWriteExecute},
        {"segments share a page", make({kText, {elf::kPtLoad, RW, 0x1800, 0x401800, 0x100, 0x100}}), Error::kOverlap},
        {"segments overlap", make({kText, {elf::kPtLoad, R, 0x1000, 0x400000, 0x100, 0x2000}}), Error::kOverlap},
        {"no loadable segment", make({{elf::kPtNote, R, 0x1000, 0, 0, 0}}), Error::kNotFound},
        {"entry in a data segment", make({kText, kData}, 0x402000), Error::kInvalidArgument},
        {"entry outside every segment", make({kText}, 0x500000), Error::kInvalidArgument},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        CHECK(elf::parse(c.file, kLow, kHigh).error() == c.expected);
    }
}

TEST_CASE("elf: a truncated or garbled note is ignored, not trusted") {
    Bytes f = make({kText, {elf::kPtNote, R, 0x2800, 0, 28, 28}});
    put(f, 0x2800, 7, 4);
    put(f, 0x2804, 0xffffff, 4);  // descsz far past the note segment
    std::memcpy(f.data() + 0x280c, "Warden", 7);
    const auto img = elf::parse(f, kLow, kHigh);
    REQUIRE(img.ok());
    CHECK(img->manifest.empty());
}

TEST_CASE("elf: a last note whose padding runs past the segment ends the walk") {
    // One note of 12 + 4 + 1 bytes: its descriptor padded to 4 lands 3 bytes
    // beyond the 17-byte segment, which ends the file. The walk must stop
    // there, not wrap around and read past the file (ASan would say so).
    Bytes f = make({kText, {elf::kPtNote, R, 0x2800, 0, 17, 17}}, 0x401000, 0x2811);
    put(f, 0x2800, 4, 4);  // namesz "abc\0"
    put(f, 0x2804, 1, 4);  // descsz
    std::memcpy(f.data() + 0x280c, "abc", 4);
    const auto img = elf::parse(f, kLow, kHigh);
    REQUIRE(img.ok());
    CHECK(img->manifest.empty());
}
