#include <doctest/doctest.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "warden/bytes.hpp"
#include "warden/svsm/guest_entry.hpp"

using namespace warden;
using namespace warden::svsm::entry;

namespace {

constexpr ImageHeader kHeader{.load_gpa = 0x100000,
                              .file_size = 0x3000,
                              .memory_size = 0x100000,
                              .entry = 0x100040,
                              .scratch_size = 0x400000,
                              .max_vcpus = 8};

std::vector<uint8_t> image(const ImageHeader& h = kHeader) {
    std::vector<uint8_t> file(h.file_size < kImageHeaderSize ? kImageHeaderSize : h.file_size);
    write_image_header(h, std::span<uint8_t, kImageHeaderSize>(file.data(), kImageHeaderSize));
    return file;
}

template <typename T>
void poke(std::vector<uint8_t>& b, size_t at, T v) {
    for (size_t i = 0; i < sizeof(T); ++i) b[at + i] = static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i));
}

constexpr BootPage kBoot{.vcpu_index = 1,
                         .apic_id = 1,
                         .vcpu_count = 2,
                         .secrets_gpa = 0x80d000,
                         .cpuid_gpa = 0x80e000,
                         .caa_gpa = 0x80f000,
                         .ram_end = 0x18000000,
                         .scratch_gpa = 0x1000000,
                         .scratch_size = 0x400000};

using Page = std::array<uint8_t, kPage>;
Page boot(const BootPage& b = kBoot) {
    Page p{};
    write_boot_page(b, p);
    return p;
}

}  // namespace

TEST_CASE("guest_entry: constants") {
    CHECK(kImageMagic == 0x54534757);  // "WGST" in file order
    CHECK(kBootMagic == 0x50424757);   // "WGBP"
    CHECK(kImageHeaderSize == 64);
    CHECK(kImageEntryAt == 0x20);
    CHECK(kImageMaxVcpusAt == 0x30);
    CHECK(kBootPageUsed == 0x48);
}

TEST_CASE("guest_entry: a header reads back as written") {
    const auto file = image();
    CHECK(file[0] == 'W');
    CHECK(file[1] == 'G');
    CHECK(file[2] == 'S');
    CHECK(file[3] == 'T');
    auto h = parse_image_header(file);
    REQUIRE(h);
    CHECK(*h == kHeader);
    CHECK(h->end() == 0x200000);
}

TEST_CASE("guest_entry: header boundaries") {
    ImageHeader h = kHeader;
    h.entry = h.load_gpa + kImageHeaderSize;  // the first byte after the header
    CHECK(parse_image_header(image(h)));
    h.entry = h.load_gpa + h.file_size - 1;  // the last byte of the file
    CHECK(parse_image_header(image(h)));
    h = kHeader;
    h.file_size = h.memory_size;  // no bss
    CHECK(parse_image_header(image(h)));
    h = kHeader;
    h.memory_size = kMaxImageMemory;
    CHECK(parse_image_header(image(h)));
    h = kHeader;
    h.load_gpa = kMaxImageEnd - h.memory_size;  // ends exactly at 4 GiB
    h.entry = h.load_gpa + 0x40;
    CHECK(parse_image_header(image(h)));
    h = kHeader;
    h.max_vcpus = kMaxVcpus;
    h.scratch_size = 0;
    CHECK(parse_image_header(image(h)));
    auto file = image();
    file.resize(file.size() + 100);  // padding after the file's bytes is fine
    CHECK(parse_image_header(file));
}

TEST_CASE("guest_entry: malformed headers are refused with the exact error") {
    struct Case {
        const char* what;
        void (*edit)(std::vector<uint8_t>&);
        Error want;
    };
    const Case cases[] = {
        {"shorter than the header", [](std::vector<uint8_t>& f) { f.resize(kImageHeaderSize - 1); }, Error::kTruncated},
        {"shorter than file_size", [](std::vector<uint8_t>& f) { f.resize(0x2fff); }, Error::kTruncated},
        {"bad magic", [](std::vector<uint8_t>& f) { f[0] = 'X'; }, Error::kBadMagic},
        {"version 2", [](std::vector<uint8_t>& f) { poke<uint32_t>(f, kImageVersionAt, 2); }, Error::kBadVersion},
        {"reserved u32", [](std::vector<uint8_t>& f) { f[kImageReservedAt] = 1; }, Error::kInvalidArgument},
        {"reserved u64", [](std::vector<uint8_t>& f) { f[0x3f] = 1; }, Error::kInvalidArgument},
        {"memory 0", [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageMemorySizeAt, 0); },
         Error::kInvalidArgument},
        {"memory too large",
         [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageMemorySizeAt, kMaxImageMemory + kPage); },
         Error::kInvalidArgument},
        {"file below the header", [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageFileSizeAt, 0x3f); },
         Error::kInvalidArgument},
        {"file above memory", [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageFileSizeAt, 0x101000); },
         Error::kInvalidArgument},
        {"no vCPU", [](std::vector<uint8_t>& f) { poke<uint32_t>(f, kImageMaxVcpusAt, 0); }, Error::kInvalidArgument},
        {"too many vCPUs", [](std::vector<uint8_t>& f) { poke<uint32_t>(f, kImageMaxVcpusAt, kMaxVcpus + 1); },
         Error::kInvalidArgument},
        {"load misaligned", [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageLoadAt, 0x100800); },
         Error::kMisaligned},
        {"memory misaligned", [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageMemorySizeAt, 0xff800); },
         Error::kMisaligned},
        {"scratch not 2 MiB", [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageScratchAt, 0x1000); },
         Error::kMisaligned},
        {"ends above 4 GiB", [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageLoadAt, kMaxImageEnd - kPage); },
         Error::kOutOfRange},
        {"loads above 4 GiB", [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageLoadAt, kMaxImageEnd); },
         Error::kOutOfRange},
        {"load wraps", [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageLoadAt, ~uint64_t{0xfff}); },
         Error::kOutOfRange},
        {"entry below the image", [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageEntryAt, 0xff000); },
         Error::kOutOfRange},
        {"entry in the header", [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageEntryAt, 0x100000); },
         Error::kOutOfRange},
        {"entry in the zeros", [](std::vector<uint8_t>& f) { poke<uint64_t>(f, kImageEntryAt, 0x103000); },
         Error::kOutOfRange},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        auto file = image();
        c.edit(file);
        auto h = parse_image_header(file);
        REQUIRE(!h);
        CHECK(h.error() == c.want);
    }
}

TEST_CASE("guest_entry: a boot page reads back as written, fields at their offsets") {
    const Page p = boot();
    CHECK(load_le<uint32_t>(p, 0x08) == 1);
    CHECK(load_le<uint64_t>(p, 0x28) == 0x80f000);
    CHECK(load_le<uint64_t>(p, 0x40) == 0x400000);
    auto b = read_boot_page(p);
    REQUIRE(b);
    CHECK(*b == kBoot);
    BootPage no_cpuid = kBoot;
    no_cpuid.cpuid_gpa = 0;                                           // no CPUID page: the image asks the MSR protocol
    no_cpuid.scratch_gpa = no_cpuid.ram_end - no_cpuid.scratch_size;  // scratch at the very end
    CHECK(read_boot_page(boot(no_cpuid)));
}

TEST_CASE("guest_entry: malformed boot pages are refused with the exact error") {
    struct Case {
        const char* what;
        void (*edit)(Page&);
        Error want;
    };
    const Case cases[] = {
        {"bad magic", [](Page& p) { p[0] = 0; }, Error::kBadMagic},
        {"version 0", [](Page& p) { p[4] = 0; }, Error::kBadVersion},
        {"reserved u32", [](Page& p) { p[0x14] = 1; }, Error::kInvalidArgument},
        {"a byte past the fields", [](Page& p) { p[0xfff] = 1; }, Error::kInvalidArgument},
        {"vcpu_index = vcpu_count", [](Page& p) { p[0x08] = 2; }, Error::kInvalidArgument},
        {"secrets misaligned", [](Page& p) { p[0x18] = 8; }, Error::kMisaligned},
        {"CAA misaligned", [](Page& p) { p[0x28] = 8; }, Error::kMisaligned},
        {"scratch not 2 MiB aligned", [](Page& p) { p[0x39] = 0x10; }, Error::kMisaligned},
        {"CAA above RAM", [](Page& p) { p[0x2d] = 0x20; }, Error::kOutOfRange},
        {"scratch past RAM", [](Page& p) { p[0x45] = 0x20; }, Error::kOutOfRange},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        Page p = boot();
        c.edit(p);
        auto b = read_boot_page(p);
        REQUIRE(!b);
        CHECK(b.error() == c.want);
    }
}

// The image guest/harness builds (suite snp runs this case with the path in
// WARDEN_HARNESS_GUEST; the unit suite leaves it out): its header passes the
// loader's check and says what docs/harness-guest.md says.
TEST_CASE("guest_entry: the built harness guest image") {
    const char* path = std::getenv("WARDEN_HARNESS_GUEST");
    REQUIRE_MESSAGE(path != nullptr, "set WARDEN_HARNESS_GUEST to build/guest/harness/harness-guest.bin");
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    const std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto h = parse_image_header(file);
    REQUIRE(h);
    CHECK(h->load_gpa == 0x100000);
    CHECK(h->file_size == file.size());  // nothing after the image's bytes
    CHECK(h->end() <= 0x200000);         // one page table maps the image (guest/harness/boot.cpp)
    CHECK(h->scratch_size == 0x400000);
    CHECK(h->max_vcpus == 8);
    CHECK(h->entry == h->load_gpa + kImageHeaderSize);  // entry.S: harness_entry right after the header
    REQUIRE(file.size() >= 16);
    CHECK(load_le<uint64_t>(file, file.size() - 16) == 0x5453474c49415254);  // harness.ld's trailer
}
