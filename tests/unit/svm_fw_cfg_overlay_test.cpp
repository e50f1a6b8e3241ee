#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "warden/svm/fw_cfg_overlay.hpp"

using namespace warden;
using namespace warden::svm;

namespace {

// L1's directory as QEMU lists it (fw_cfg.rst FWCfgFile: BE32 size, BE16
// select, reserved, name[56]), with etc/e820 third.
std::vector<uint8_t> l1_directory() {
    const struct {
        uint32_t size;
        uint16_t select;
        const char* name;
    } files[] = {{0x3c, 0x20, "bootorder"},
                 {0x1000, 0x21, "etc/acpi/tables"},
                 {0x14, 0x22, "etc/e820"},
                 {0x81000, 0x23, "opt/warden/igvm"}};
    std::vector<uint8_t> b(4 + 64 * 4, 0);
    const uint32_t count = fw_cfg::be32(4);
    std::memcpy(b.data(), &count, 4);
    for (size_t i = 0; i < 4; ++i) {
        uint8_t* e = b.data() + 4 + 64 * i;
        const uint32_t size = fw_cfg::be32(files[i].size);
        const uint16_t select = __builtin_bswap16(files[i].select);
        std::memcpy(e, &size, 4);
        std::memcpy(e + 4, &select, 2);
        std::memcpy(e + 8, files[i].name, std::strlen(files[i].name));
    }
    return b;
}

fw_cfg::Directory parsed(const std::vector<uint8_t>& bytes) {
    static fw_cfg::Directory d;
    REQUIRE(fw_cfg::parse_directory(bytes, d));
    return d;
}

}  // namespace

TEST_CASE("svm fw_cfg_overlay: the VM's e820 is one RAM entry from 0, as QEMU's pc machine builds it") {
    uint8_t e[20];
    CHECK(make_e820_ram(0x17000000, std::span<uint8_t, 20>(e)) == 20);
    const uint8_t want[20] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x17, 0, 0, 0, 0, 1, 0, 0, 0};
    CHECK(std::memcmp(e, want, 20) == 0);
}

TEST_CASE("svm fw_cfg_overlay: etc/e820 is answered by the host, other items by the device") {
    const auto dir_bytes = l1_directory();
    const auto dir = parsed(dir_bytes);
    FwCfgOverlay o;
    const uint8_t table[40] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                               21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40};
    REQUIRE(o.replace(dir, "etc/e820", table));
    o.select(0x21);
    CHECK_FALSE(o.serves_selected());
    o.select(0x22);
    CHECK(o.serves_selected());
    uint8_t out[8];
    o.read(out);
    CHECK(out[0] == 1);
    CHECK(out[7] == 8);
    o.skip(30);  // to offset 38: two bytes left, then zeros
    o.read(out);
    CHECK(out[0] == 39);
    CHECK(out[1] == 40);
    CHECK(out[2] == 0);
    CHECK(out[7] == 0);
    o.select(0x22);  // a new select starts over
    o.read(std::span<uint8_t>(out, 1));
    CHECK(out[0] == 1);
}

TEST_CASE("svm fw_cfg_overlay: the directory read in pieces says the replaced file's size, the rest unchanged") {
    const auto dir_bytes = l1_directory();
    const auto dir = parsed(dir_bytes);
    FwCfgOverlay o;
    const uint8_t table[40] = {};
    REQUIRE(o.replace(dir, "etc/e820", table));
    // Whole, by DMA.
    o.select(fw_cfg::kFileDir);
    CHECK_FALSE(o.serves_selected());
    auto whole = dir_bytes;
    o.device_read(whole);
    fw_cfg::Directory seen;
    REQUIRE(fw_cfg::parse_directory(whole, seen));
    CHECK(seen.find("etc/e820")->size == 40);
    CHECK(seen.find("etc/e820")->selector == 0x22);
    CHECK(seen.find("bootorder")->size == 0x3c);
    CHECK(seen.find("opt/warden/igvm")->size == 0x81000);
    // Byte by byte, as the data port gives it: the same bytes.
    o.select(fw_cfg::kFileDir);
    std::vector<uint8_t> bytewise(dir_bytes.size());
    for (size_t i = 0; i < dir_bytes.size(); ++i) {
        bytewise[i] = dir_bytes[i];
        o.device_read(std::span<uint8_t>(&bytewise[i], 1));
    }
    CHECK(bytewise == whole);
    // A read that ends inside the size field, then the rest.
    o.select(fw_cfg::kFileDir);
    auto split = dir_bytes;
    const size_t field = 4 + 64 * 2;
    o.device_read(std::span<uint8_t>(split.data(), field + 2));
    o.device_read(std::span<uint8_t>(split.data() + field + 2, split.size() - field - 2));
    CHECK(split == whole);
}

TEST_CASE("svm fw_cfg_overlay: a file L1 lacks, or contents too large, are refused and change nothing") {
    const auto dir_bytes = l1_directory();
    const auto dir = parsed(dir_bytes);
    FwCfgOverlay o;
    const uint8_t small[20] = {};
    CHECK(o.replace(dir, "etc/e820x", small).error() == Error::kNotFound);
    std::vector<uint8_t> big(FwCfgOverlay::kMaxBytes + 1);
    CHECK(o.replace(dir, "etc/e820", big).error() == Error::kOutOfRange);
    o.select(0x22);
    CHECK_FALSE(o.serves_selected());
    auto untouched = dir_bytes;
    o.select(fw_cfg::kFileDir);
    o.device_read(untouched);
    CHECK(untouched == dir_bytes);
}
