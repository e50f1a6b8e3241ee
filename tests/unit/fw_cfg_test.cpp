#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "warden/fw_cfg.hpp"

using namespace warden;
using namespace warden::fw_cfg;

namespace {
using Bytes = std::vector<uint8_t>;

Bytes directory(std::initializer_list<std::pair<const char*, uint32_t>> files) {
    Bytes b(4, 0);
    const auto n = static_cast<uint32_t>(files.size());
    b[0] = static_cast<uint8_t>(n >> 24);
    b[3] = static_cast<uint8_t>(n);
    uint16_t sel = 0x20;
    for (const auto& [name, size] : files) {
        Bytes e(kFileEntrySize, 0);
        e[0] = static_cast<uint8_t>(size >> 24);
        e[1] = static_cast<uint8_t>(size >> 16);
        e[2] = static_cast<uint8_t>(size >> 8);
        e[3] = static_cast<uint8_t>(size);
        e[4] = static_cast<uint8_t>(sel >> 8);
        e[5] = static_cast<uint8_t>(sel++);
        std::memcpy(e.data() + 8, name, std::strlen(name));
        b.insert(b.end(), e.begin(), e.end());
    }
    return b;
}
}  // namespace

TEST_CASE("fw_cfg: ports, selectors and bits follow fw_cfg.rst") {
    CHECK(kSelectorPort == 0x510);
    CHECK(kDataPort == 0x511);
    CHECK(kDmaPortHigh == 0x514);
    CHECK(kDmaPortLow == 0x518);
    CHECK(kFileDir == 0x19);
    CHECK(kIdDma == 2);
    CHECK(kDmaSelect == 0x08);
    CHECK(kDmaRead == 0x02);
}

TEST_CASE("fw_cfg: a QEMU-like directory parses and files are found by name") {
    static Directory dir;
    REQUIRE(parse_directory(directory({{"etc/e820", 100}, {"opt/warden/test", 19}, {"etc/acpi/tables", 131072}}), dir)
                .ok());
    const Directory* d = &dir;
    CHECK(d->count == 3);
    const File* f = d->find("opt/warden/test");
    REQUIRE(f != nullptr);
    CHECK(f->size == 19);
    CHECK(f->selector == 0x21);
    CHECK(d->find("opt/warden") == nullptr);  // whole names only
    CHECK(d->find("etc/acpi/tables")->size == 131072);
}

TEST_CASE("fw_cfg: malformed directories are refused") {
    Bytes no_nul = directory({{"x", 1}});
    std::memset(no_nul.data() + 4 + 8, 'a', kFileNameSize);
    Bytes short_entries = directory({{"a", 1}, {"b", 2}});
    short_entries.resize(short_entries.size() - 1);
    Bytes huge = directory({});
    huge[2] = 0x10;  // 4096 files
    static Directory dir;
    dir.count = 7;  // a failed parse must leave it alone
    CHECK(parse_directory(no_nul, dir).error() == Error::kInvalidArgument);
    CHECK(parse_directory(short_entries, dir).error() == Error::kTruncated);
    CHECK(parse_directory(huge, dir).error() == Error::kOutOfRange);
    CHECK(parse_directory(Bytes{0, 0}, dir).error() == Error::kTruncated);
    CHECK(dir.count == 7);
    CHECK(parse_directory(directory({}), dir).ok());
    CHECK(dir.count == 0);
}

TEST_CASE("fw_cfg: DMA descriptors are big endian with the selector on top") {
    const DmaAccess a = make_dma_read(0x19, 0x1000, 0x12345678);
    CHECK(be32(a.control_be) == ((0x19u << 16) | kDmaSelect | kDmaRead));
    CHECK(be32(a.length_be) == 0x1000);
    CHECK(be64(a.address_be) == 0x12345678);
    const auto* raw = reinterpret_cast<const uint8_t*>(&a);
    CHECK(raw[1] == 0x19);  // the selector's low byte is the second byte in memory
    CHECK(dma_state(0) == DmaState::kDone);
    CHECK(dma_state(be32(kDmaRead)) == DmaState::kBusy);
    CHECK(dma_state(be32(kDmaError)) == DmaState::kError);
}

TEST_CASE("fw_cfg: a read at an offset is a select-and-skip, then a read that does not select") {
    const DmaAccess skip = make_dma_skip(0x20, 0x10000);
    CHECK(be32(skip.control_be) == ((0x20u << 16) | kDmaSelect | kDmaSkip));
    CHECK(be32(skip.length_be) == 0x10000);
    const DmaAccess read = make_dma_read_on(0x800, 0xabc000);
    CHECK(be32(read.control_be) == kDmaRead);  // no select: it goes on from the skip
    CHECK(be32(read.length_be) == 0x800);
    CHECK(be64(read.address_be) == 0xabc000);
}
