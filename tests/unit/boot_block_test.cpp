#include <doctest/doctest.h>

#include <array>

#include "byte_builder.hpp"
#include "warden/igvm/boot_block.hpp"

using namespace warden;
using namespace warden::igvm;
using test_bytes::put_le;

namespace {
constexpr uint64_t kFourGiB = uint64_t{1} << 32;
constexpr uint64_t kOvmfSize = 0x1e0000;  // Debian's OVMF_CODE.fd

constexpr uint64_t k512GiB = uint64_t{512} << 30;

// SVSM memory [base, end) with the boot data (16 pages) at its top.
BootBlock at(uint64_t base, uint64_t end) {
    BootBlock b;
    b.svsm = PhysRange{PhysAddr(base), end - base};
    b.boot_data = PhysRange{PhysAddr(end - 0x10000), 0x10000};
    b.memory_map = b.boot_data.base + 0x4000;
    b.memory_map_size = 4096;
    b.vp_count = b.boot_data.base + 0x5000;
    b.secrets = b.boot_data.base + 0x1000;
    b.cpuid = b.boot_data.base + 0x2000;
    b.c_bit = 51;
    return b;
}
// What warden-igvm packs by default: SVSM memory [512 GiB, + 32 MiB); no firmware.
BootBlock good() { return at(k512GiB, k512GiB + (32 << 20)); }
test_bytes::Bytes bytes(const BootBlock& b) {
    std::array<uint8_t, kBootBlockSize> out{};
    write_boot_block(b, out);
    return test_bytes::Bytes(out.begin(), out.end());
}
}  // namespace

TEST_CASE("boot_block: written and read back, at the documented offsets") {
    const auto raw = bytes(good());
    CHECK(raw[0] == 'W');
    CHECK(raw[7] == 'B');
    CHECK(raw[8] == 2);
    CHECK(raw[0x58] == 51);
    CHECK(raw.size() == 0x70);
    auto b = parse_boot_block(raw);
    REQUIRE(b.ok());
    CHECK(b->svsm.base.raw() == k512GiB);
    CHECK(b->svsm.size == (32u << 20));
    CHECK(b->cpuid == good().cpuid);
    CHECK(b->memory_map_size == 4096);
    CHECK(b->c_bit == 51);
    CHECK(b->firmware.size == 0);
    CHECK(b->firmware.base.raw() == 0);
}

TEST_CASE("boot_block: a firmware range at the top of 4 GiB, at 0x60 and 0x68") {
    BootBlock in = good();
    in.firmware = PhysRange{PhysAddr(kFourGiB - kOvmfSize), kOvmfSize};
    const auto raw = bytes(in);
    CHECK(raw[0x60] == 0x00);
    CHECK(raw[0x62] == 0xe2);
    CHECK(raw[0x63] == 0xff);
    CHECK(raw[0x6a] == 0x1e);
    auto b = parse_boot_block(raw);
    REQUIRE(b.ok());
    CHECK(b->firmware.base.raw() == 0xffe20000);
    CHECK(b->firmware.end().raw() == kFourGiB);

    // Boundaries: the largest image (16 MiB), one page, and SVSM memory below
    // 4 GiB (inside RAM, as the packer's --svsm-base allows) that ends right
    // where the flash begins.
    auto with = [](uint64_t fw_size, uint64_t svsm_base, uint64_t svsm_end) {
        BootBlock bb = at(svsm_base, svsm_end);
        bb.firmware = PhysRange{PhysAddr(kFourGiB - fw_size), fw_size};
        return parse_boot_block(bytes(bb));
    };
    CHECK(with(16 << 20, k512GiB, k512GiB + (32 << 20)).ok());
    CHECK(with(4096, 32 << 20, 64 << 20).ok());
    CHECK(with(16 << 20, kFourGiB - (48 << 20), kFourGiB - (16 << 20)).ok());
}

TEST_CASE("boot_block: the SVSM memory is what one page directory of 2 MiB pages maps, below the C-bit") {
    CHECK(parse_boot_block(bytes(at(0, 2 << 20))).ok());
    CHECK(parse_boot_block(bytes(at(k512GiB, k512GiB + (uint64_t{1} << 30)))).ok());  // a whole GiB
    CHECK(parse_boot_block(bytes(at(k512GiB + (1 << 20), k512GiB + (33 << 20)))).error() == Error::kMisaligned);
    CHECK(parse_boot_block(bytes(at(k512GiB, k512GiB + (33 << 20)))).error() == Error::kMisaligned);
    // Across a 1 GiB boundary: two page directories.
    CHECK(parse_boot_block(bytes(at(k512GiB - (2 << 20), k512GiB + (30 << 20)))).error() == Error::kOutOfRange);
    BootBlock low_c_bit = good();
    low_c_bit.c_bit = 39;  // 512 GiB is bit 39: the memory would carry the C-bit
    CHECK(parse_boot_block(bytes(low_c_bit)).error() == Error::kOutOfRange);
    low_c_bit.c_bit = 40;
    CHECK(parse_boot_block(bytes(low_c_bit)).ok());
    const uint64_t k128TiB = uint64_t{1} << 47;  // above: not identity-mappable in the lower half
    CHECK(parse_boot_block(bytes(at(k128TiB - (32 << 20), k128TiB))).ok());
    CHECK(parse_boot_block(bytes(at(k128TiB, k128TiB + (32 << 20)))).error() == Error::kOutOfRange);
}

TEST_CASE("boot_block: malformed blocks are refused") {
    auto raw = bytes(good());
    CHECK(parse_boot_block(std::span<const uint8_t>(raw).first(kBootBlockSize - 1)).error() == Error::kTruncated);
    auto bad = raw;
    bad[0] = 'X';
    CHECK(parse_boot_block(bad).error() == Error::kBadMagic);
    bad = raw;
    put_le(bad, 8, 3, 4);
    CHECK(parse_boot_block(bad).error() == Error::kBadVersion);

    auto with = [](auto change) {
        BootBlock b = good();
        change(b);
        return parse_boot_block(bytes(b)).error();
    };
    CHECK(with([](BootBlock& b) { b.secrets = b.secrets + 8; }) == Error::kMisaligned);
    CHECK(with([](BootBlock& b) { b.svsm.size = 0; }) == Error::kOutOfRange);
    CHECK(with([](BootBlock& b) { b.svsm = PhysRange{PhysAddr(0xfff00000), 0x200000}; }) == Error::kMisaligned);
    CHECK(with([](BootBlock& b) { b.svsm = PhysRange{PhysAddr(0xfffffffffff00000), 0x200000}; }) == Error::kOverflow);
    CHECK(with([](BootBlock& b) { b.boot_data.base = PhysAddr(k512GiB + (31 << 20)); }) == Error::kOutOfRange);
    CHECK(with([](BootBlock& b) { b.cpuid = b.boot_data.end(); }) == Error::kOutOfRange);  // one past the end
    CHECK(with([](BootBlock& b) { b.memory_map = PhysAddr(0); }) == Error::kOutOfRange);
    CHECK(with([](BootBlock& b) { b.memory_map_size = 0; }) == Error::kOutOfRange);
    CHECK(with([](BootBlock& b) { b.memory_map_size = 4097; }) == Error::kOutOfRange);
    CHECK(with([](BootBlock& b) { b.c_bit = 64; }) == Error::kOutOfRange);
}

TEST_CASE("boot_block: malformed firmware ranges are refused") {
    struct Case {
        const char* what;
        uint64_t base, size;
        Error want;
    };
    const Case cases[] = {
        {"a base without a size", kFourGiB - kOvmfSize, 0, Error::kInvalidArgument},
        {"a base not 4 KiB aligned", kFourGiB - kOvmfSize + 0x800, kOvmfSize, Error::kMisaligned},
        {"a size not 4 KiB aligned", kFourGiB - kOvmfSize, kOvmfSize + 0x800, Error::kMisaligned},
        {"larger than 16 MiB", kFourGiB - (17 << 20), 17 << 20, Error::kOutOfRange},
        {"ending below 4 GiB", kFourGiB - kOvmfSize - 0x1000, kOvmfSize, Error::kOutOfRange},
        {"ending above 4 GiB", kFourGiB - kOvmfSize + 0x1000, kOvmfSize, Error::kOutOfRange},
        {"wrapping past 2^64", 0xfffffffffff00000, 0x200000, Error::kOverflow},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        BootBlock b = good();
        b.firmware = PhysRange{PhysAddr(c.base), c.size};
        CHECK(parse_boot_block(bytes(b)).error() == c.want);
    }
    // A block of version 1 (no firmware fields) is refused, not read short.
    auto raw = bytes(good());
    put_le(raw, 8, 1, 4);
    CHECK(parse_boot_block(raw).error() == Error::kBadVersion);
    // SVSM memory reaching one 2 MiB page into the flash.
    BootBlock b = at(kFourGiB - (48 << 20), kFourGiB - (14 << 20));
    b.firmware = PhysRange{PhysAddr(kFourGiB - (16 << 20)), 16 << 20};
    CHECK(parse_boot_block(bytes(b)).error() == Error::kOverlap);
}
