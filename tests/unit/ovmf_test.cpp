#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "byte_builder.hpp"
#include "warden/ovmf.hpp"

using namespace warden;
using namespace warden::ovmf;
using test_bytes::Bytes;
using test_bytes::put_le;

namespace {

Bytes read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Sec {
    uint32_t base, size, type;
};

// A synthetic image of `size` bytes: the footer table with an AP reset
// block, an unknown GUID and the SEV metadata entry, the metadata 0x400
// bytes before the end.
Bytes image(std::initializer_list<Sec> sections, size_t size = 0x10000) {
    Bytes b(size, 0xcc);
    const size_t n = size;
    const size_t meta = n - 0x400;
    std::memcpy(&b[meta], "ASEV", 4);
    put_le(b, meta + 4, 16 + 12 * sections.size(), 4);
    put_le(b, meta + 8, 1, 4);
    put_le(b, meta + 12, sections.size(), 4);
    size_t i = 0;
    for (const Sec& s : sections) {
        put_le(b, meta + 16 + 12 * i, s.base, 4);
        put_le(b, meta + 20 + 12 * i, s.size, 4);
        put_le(b, meta + 24 + 12 * i, s.type, 4);
        ++i;
    }
    // Entries, written backwards from the table's own length field at n - 50.
    size_t end = n - 50;
    auto entry = [&](const Guid& g, std::initializer_list<uint8_t> data) {
        const size_t len = data.size() + 18;
        std::memcpy(&b[end - 16], g.data(), 16);
        put_le(b, end - 18, len, 2);
        size_t k = end - len;
        for (uint8_t d : data) b[k++] = d;
        end -= len;
    };
    entry(kSevEsResetBlockGuid, {0x04, 0xb0, 0x80, 0x00});
    entry(guid("e47a6535-984a-4798-865e-4685a7bf8ec2"), {1, 2, 3, 4});  // unknown: skipped
    entry(kSevMetadataGuid, {0x00, 0x04, 0x00, 0x00});                  // metadata 0x400 from the end
    put_le(b, n - 50, (n - 50) - end + 18, 2);
    std::memcpy(&b[n - 48], kFooterTableGuid.data(), 16);
    return b;
}

const std::initializer_list<Sec> kGood = {
    {0x800000, 0x9000, 1}, {0x80a000, 0x3000, 1}, {0x80d000, 0x1000, 2}, {0x80e000, 0x1000, 3}, {0x80f000, 0x11000, 1}};

}  // namespace

TEST_CASE("ovmf: GUIDs written as text land in EFI's byte order") {
    CHECK(kFooterTableGuid[0] == 0xde);
    CHECK(kFooterTableGuid[3] == 0x96);
    CHECK(kFooterTableGuid[4] == 0xb2);
    CHECK(kFooterTableGuid[6] == 0xf7);
    CHECK(kFooterTableGuid[8] == 0xba);
    CHECK(kFooterTableGuid[15] == 0x2d);
}

TEST_CASE("ovmf: a synthetic image: footer entries, metadata sections, reset vector, flash placement") {
    const Bytes b = image(kGood);
    auto fw = parse(b);
    REQUIRE(fw.ok());
    CHECK(fw->flash.base.raw() == 0x100000000 - 0x10000);
    CHECK(fw->reset_vector == 0xfffffff0);
    CHECK(fw->ap_reset_ip == 0x80b004);
    REQUIRE(fw->has_sev_metadata);
    REQUIRE(fw->section_count == 5);
    CHECK(fw->sections[2].type == SectionType::kSnpSecrets);
    CHECK(fw->sections[4].range.size == 0x11000);
}

TEST_CASE("ovmf: Debian's images parse (read from /usr/share/OVMF: ./warden test installs ovmf)") {
    const Bytes code = read("/usr/share/OVMF/OVMF_CODE.fd");
    REQUIRE_MESSAGE(code.size() == 0x1e0000, "the ovmf package's OVMF_CODE.fd is missing or changed size");
    auto fw = parse(code);
    REQUIRE(fw.ok());
    CHECK(fw->has_sev_metadata);
    REQUIRE(fw->section_count == 5);
    CHECK(fw->sections[0].range.base.raw() == 0x800000);
    CHECK(fw->sections[0].type == SectionType::kSnpSecMem);
    CHECK(fw->sections[2].type == SectionType::kSnpSecrets);
    CHECK(fw->sections[3].type == SectionType::kCpuid);
    CHECK(fw->ap_reset_ip == 0x80b004);
    for (const Section& s : fw->section_list()) CHECK(s.type != SectionType::kSvsmCaa);  // not SVSM-aware
    const PhysRange ram[] = {{PhysAddr(0), 0x80000000}};
    CHECK(check_placement(*fw, ram, PhysRange{PhysAddr(0x100000), 0x400000}).ok());
    CHECK(check_placement(*fw, ram, PhysRange{PhysAddr(0x100000), 32 << 20}).error() == Error::kOverlap);
    const PhysRange small_ram[] = {{PhysAddr(0), 0x800000}};
    CHECK(check_placement(*fw, small_ram, PhysRange{}).error() == Error::kOutOfRange);

    for (const char* name : {"OVMF_CODE.secboot.fd", "OVMF_CODE_4M.fd", "OVMF_CODE_4M.secboot.fd"}) {
        const Bytes other = read(std::string("/usr/share/OVMF/") + name);
        INFO(name);
        REQUIRE(!other.empty());
        auto parsed = parse(other);
        REQUIRE(parsed.ok());
        CHECK(parsed->ap_reset_ip != 0);
    }
    CHECK(parse(read("/usr/share/OVMF/OVMF_CODE_4M.fd"))->has_sev_metadata == false);  // Debian's 4M build has none
    CHECK(parse(read("/usr/share/OVMF/OVMF_VARS.fd")).error() == Error::kBadMagic);    // a varstore, not firmware

    // The BIOS loader parses the last 64 KiB it read: the same answer.
    const std::span<const uint8_t> tail(code.data() + code.size() - 0x10000, 0x10000);
    auto from_tail = parse_tail(tail, code.size());
    REQUIRE(from_tail.ok());
    CHECK(from_tail->flash.base.raw() == fw->flash.base.raw());
    CHECK(from_tail->section_count == fw->section_count);
    CHECK(from_tail->ap_reset_ip == fw->ap_reset_ip);
    for (size_t i = 0; i < fw->section_count; ++i) {
        CHECK(from_tail->sections[i].range.base == fw->sections[i].range.base);
        CHECK(from_tail->sections[i].range.size == fw->sections[i].range.size);
    }
}

// Debian 13's ovmf (edk2 2025.02) is SVSM-aware: its metadata has the SVSM
// Calling Area, which Debian 12's lacks. The package is not installed but
// fetched into the build tree (./warden firmware debian13); the Meson test
// "unit - ovmf on Debian 13's images" passes its folder in
// WARDEN_DEBIAN13_OVMF and skips, saying why, when the fetch did not happen.
TEST_CASE("ovmf: Debian 13's images parse, with the SVSM Calling Area (WARDEN_DEBIAN13_OVMF)") {
    const char* dir = std::getenv("WARDEN_DEBIAN13_OVMF");
    REQUIRE_MESSAGE(dir != nullptr, "WARDEN_DEBIAN13_OVMF names the unpacked package's usr/share folder");
    const Sec kDebian13[] = {{0x800000, 0x9000, 1}, {0x80a000, 0x3000, 1}, {0x80d000, 0x1000, 2},
                             {0x80e000, 0x1000, 3}, {0x80f000, 0x1000, 4}, {0x810000, 0x10000, 1}};
    const struct {
        const char* name;
        size_t size;
    } images[] = {{"OVMF/OVMF_CODE_4M.fd", 3653632},
                  {"OVMF/OVMF_CODE_4M.secboot.fd", 3653632},
                  {"ovmf/OVMF.fd", 4 << 20}};  // code and variable store in one 4 MiB flash
    for (const auto& img : images) {
        INFO(img.name);
        const Bytes b = read(std::string(dir) + "/" + img.name);
        REQUIRE(b.size() == img.size);
        auto fw = parse(b);
        REQUIRE(fw.ok());
        CHECK(fw->flash.base.raw() == 0x100000000 - img.size);
        CHECK(fw->ap_reset_ip == 0x80b004);
        REQUIRE(fw->has_sev_metadata);
        REQUIRE(fw->section_count == std::size(kDebian13));
        for (size_t i = 0; i < fw->section_count; ++i) {
            INFO("section " << i);
            CHECK(fw->sections[i].range.base.raw() == kDebian13[i].base);
            CHECK(fw->sections[i].range.size == kDebian13[i].size);
            CHECK(static_cast<uint32_t>(fw->sections[i].type) == kDebian13[i].type);
        }
        CHECK(fw->sections[4].type == SectionType::kSvsmCaa);
        CHECK(std::string(section_name(fw->sections[4].type)) == "svsm-caa");
        // The BIOS loader's view: the last 64 KiB give the same answer.
        auto tail = parse_tail(std::span<const uint8_t>(b).last(0x10000), b.size());
        REQUIRE(tail.ok());
        CHECK(tail->section_count == fw->section_count);
        CHECK(tail->sections[4].range.base == fw->sections[4].range.base);
        // The native guest's RAM (8..16 MiB) holds every section, the CAA included.
        const PhysRange ram[] = {{PhysAddr(0x800000), 8 << 20}};
        CHECK(check_placement(*fw, ram, PhysRange{PhysAddr(32 << 20), 32 << 20}).ok());
    }
    const Bytes vars = read(std::string(dir) + "/OVMF/OVMF_VARS_4M.fd");
    REQUIRE(!vars.empty());
    CHECK(parse(vars).error() == Error::kBadMagic);  // a varstore, not firmware
}

TEST_CASE("ovmf: a tail must be whole pages of a valid image, and hold what is parsed") {
    const Bytes b = image(kGood, 0x10000);
    const std::span<const uint8_t> all(b);
    CHECK(parse_tail(all.last(0x1000), b.size()).ok());  // metadata 0x400 from the end: inside one page
    CHECK(parse_tail(all.last(0x800), b.size()).error() == Error::kInvalidArgument);
    CHECK(parse_tail(all, b.size() - 0x1000).error() == Error::kInvalidArgument);  // more than the image
    CHECK(parse_tail(all.last(0x1000), 0).error() == Error::kOutOfRange);
    CHECK(parse_tail(all.last(0x1000), 0x10800).error() == Error::kMisaligned);
    Bytes far = image(kGood, 0x10000);
    put_le(far, 0x10000 - 50 - 18 - 4 - 18 - 4 - 18 - 4 + 1, 0x20, 1);  // metadata offset 0x2000 from the end
    CHECK(parse_tail(std::span<const uint8_t>(far).last(0x1000), far.size()).error() == Error::kOutOfRange);
}

TEST_CASE("ovmf: malformed images are refused with the exact error") {
    CHECK(parse(Bytes{}).error() == Error::kOutOfRange);
    CHECK(parse(Bytes(0x1000 + 1, 0)).error() == Error::kMisaligned);
    CHECK(parse(Bytes(kMaxImage + 0x1000, 0)).error() == Error::kOutOfRange);
    CHECK(parse(Bytes(0x10000, 0)).error() == Error::kBadMagic);
    const Bytes good = image(kGood);
    const size_t n = good.size();

    Bytes b = good;
    put_le(b, n - 50, 0xffff, 2);  // table longer than the image
    CHECK(parse(b).error() == Error::kTruncated);
    b = good;
    put_le(b, n - 50, 17, 2);  // shorter than its own header
    CHECK(parse(b).error() == Error::kTruncated);
    b = good;
    put_le(b, n - 68, 0, 2);  // the last entry's length 0
    CHECK(parse(b).error() == Error::kTruncated);
    b = good;
    put_le(b, n - 68, 200, 2);  // an entry reaching past the table
    CHECK(parse(b).error() == Error::kTruncated);

    auto with_metadata_offset = [&](uint32_t off) {
        Bytes m = good;
        // The metadata entry is the third from the end: its data sits right after the table start.
        const size_t table_start = n - 32 - (good[n - 50] | good[n - 49] << 8);
        put_le(m, table_start, off, 4);
        return parse(m).error();
    };
    CHECK(with_metadata_offset(0x20000) == Error::kOutOfRange);  // before the image
    CHECK(with_metadata_offset(8) == Error::kOutOfRange);
    CHECK(with_metadata_offset(0x800) == Error::kBadMagic);  // no "ASEV" there

    b = good;
    put_le(b, n - 0x400 + 8, 2, 4);
    CHECK(parse(b).error() == Error::kBadVersion);
    b = good;
    put_le(b, n - 0x400 + 12, 17, 4);
    CHECK(parse(b).error() == Error::kOutOfRange);  // too many sections
    b = good;
    put_le(b, n - 0x400 + 4, 20, 4);
    CHECK(parse(b).error() == Error::kTruncated);  // length disagrees with the count

    CHECK(parse(image({{0x800000, 0x9000, 1}, {0x808000, 0x1000, 1}})).error() == Error::kOverlap);
    CHECK(parse(image({{0x800100, 0x1000, 1}})).error() == Error::kOutOfRange);       // misaligned
    CHECK(parse(image({{0x800000, 0x0, 1}})).error() == Error::kOutOfRange);          // empty
    CHECK(parse(image({{0x800000, 0x1800, 1}})).error() == Error::kOutOfRange);       // not whole pages
    CHECK(parse(image({{0xfffff000, 0x1000, 1}})).error() == Error::kOutOfRange);     // in the flash
    CHECK(parse(image({{0x800000, 0x1000, 7}})).error() == Error::kUnsupported);      // unknown type
    CHECK(parse(image({{0x800000, 0x2000, 2}})).error() == Error::kInvalidArgument);  // secrets of 2 pages
    CHECK(parse(image({{0x800000, 0x1000, 3}, {0x801000, 0x1000, 3}})).error() == Error::kInvalidArgument);
    CHECK(parse(image({{0x800000, 0x1000, 4}, {0x810000, 0x4000, 0x10}})).ok());  // CAA and kernel hashes
}
