#include <doctest/doctest.h>

#include <array>

#include "byte_builder.hpp"
#include "warden/igvm/boot_block.hpp"

using namespace warden;
using namespace warden::igvm;
using test_bytes::put_le;

namespace {
BootBlock good() {
    BootBlock b;
    b.svsm = PhysRange{PhysAddr(0x100000), 32 << 20};
    b.boot_data = PhysRange{PhysAddr(0x2100000 - 0x10000), 0x10000};
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
    CHECK(raw[8] == 1);
    CHECK(raw[0x58] == 51);
    auto b = parse_boot_block(raw);
    REQUIRE(b.ok());
    CHECK(b->svsm.base.raw() == 0x100000);
    CHECK(b->svsm.size == (32u << 20));
    CHECK(b->cpuid == good().cpuid);
    CHECK(b->memory_map_size == 4096);
    CHECK(b->c_bit == 51);
}

TEST_CASE("boot_block: malformed blocks are refused") {
    auto raw = bytes(good());
    CHECK(parse_boot_block(std::span<const uint8_t>(raw).first(kBootBlockSize - 1)).error() == Error::kTruncated);
    auto bad = raw;
    bad[0] = 'X';
    CHECK(parse_boot_block(bad).error() == Error::kBadMagic);
    bad = raw;
    put_le(bad, 8, 2, 4);
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
