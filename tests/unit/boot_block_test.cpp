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

// What warden-igvm packs by default: SVSM memory [32 MiB, 64 MiB), the boot
// data at its top; no firmware.
BootBlock good() {
    BootBlock b;
    b.svsm = PhysRange{PhysAddr(0x2000000), 32 << 20};
    b.boot_data = PhysRange{PhysAddr(0x4000000 - 0x10000), 0x10000};
    b.memory_map = b.boot_data.base + 0x4000;
    b.memory_map_size = 4096;
    b.vp_count = b.boot_data.base + 0x5000;
    b.secrets = b.boot_data.base + 0x1000;
    b.cpuid = b.boot_data.base + 0x2000;
    b.c_bit = 51;
    return b;
}
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
    CHECK(b->svsm.base.raw() == 0x2000000);
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

    // Boundaries: the largest image (16 MiB), one page, and SVSM memory that
    // ends right where the flash begins.
    auto with = [](uint64_t fw_size, uint64_t svsm_end) {
        BootBlock bb = good();
        bb.firmware = PhysRange{PhysAddr(kFourGiB - fw_size), fw_size};
        bb.svsm.size = svsm_end - bb.svsm.base.raw();
        bb.boot_data.base = PhysAddr(svsm_end - bb.boot_data.size);
        bb.memory_map = bb.boot_data.base + 0x4000;
        bb.vp_count = bb.boot_data.base + 0x5000;
        bb.secrets = bb.boot_data.base + 0x1000;
        bb.cpuid = bb.boot_data.base + 0x2000;
        return parse_boot_block(bytes(bb));
    };
    CHECK(with(16 << 20, 64 << 20).ok());
    CHECK(with(4096, 64 << 20).ok());
    CHECK(with(16 << 20, kFourGiB - (16 << 20)).ok());
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
    CHECK(with([](BootBlock& b) { b.svsm = PhysRange{PhysAddr(0xfff00000), 0x200000}; }) == Error::kOutOfRange);
    CHECK(with([](BootBlock& b) { b.svsm = PhysRange{PhysAddr(0xfffffffffff00000), 0x200000}; }) == Error::kOverflow);
    CHECK(with([](BootBlock& b) { b.boot_data.base = PhysAddr(0x3000000); }) == Error::kOutOfRange);
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
    // SVSM memory reaching one page into the flash.
    BootBlock b = good();
    b.firmware = PhysRange{PhysAddr(kFourGiB - (16 << 20)), 16 << 20};
    b.svsm.size = b.firmware.base.raw() + 4096 - b.svsm.base.raw();
    CHECK(parse_boot_block(bytes(b)).error() == Error::kOverlap);
}
