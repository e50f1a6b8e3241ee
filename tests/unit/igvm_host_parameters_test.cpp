#include <doctest/doctest.h>

#include <vector>

#include "byte_builder.hpp"
#include "warden/bytes.hpp"
#include "warden/igvm/host_parameters.hpp"
#include "warden/igvm/memory_map.hpp"

using namespace warden;
using namespace warden::igvm;
using test_bytes::Bytes;
using test_bytes::put_le;

namespace {

// 64 KiB of guest memory from GPA 0.
class Guest final : public GuestWindow {
public:
    std::vector<uint8_t> mem = std::vector<uint8_t>(0x10000);
    std::span<uint8_t> bytes(uint64_t gpa, uint64_t len) override {
        if (gpa > mem.size() || len > mem.size() - gpa) return {};
        return {mem.data() + gpa, static_cast<size_t>(len)};
    }
};

struct Builder {
    std::vector<Bytes> bodies;
    File file;
    void add(HeaderType t, Bytes body) {
        bodies.push_back(std::move(body));
        file.headers[file.count++] = Header{t, bodies.back()};
    }
    void area(uint32_t index, uint64_t bytes) {
        Bytes b(16);
        put_le(b, 0, bytes, 8);
        put_le(b, 8, index, 4);
        add(HeaderType::kParameterArea, b);
    }
    void parameter(HeaderType t, uint32_t index, uint32_t offset) {
        Bytes b(8);
        put_le(b, 0, index, 4);
        put_le(b, 4, offset, 4);
        add(t, b);
    }
    void insert(uint64_t gpa, uint32_t index) {
        Bytes b(16);
        put_le(b, 0, gpa, 8);
        put_le(b, 12, index, 4);
        add(HeaderType::kParameterInsert, b);
    }
};

}  // namespace

TEST_CASE("igvm host_parameters: the memory map and vCPU count land at each insert") {
    Builder f;
    f.bodies.reserve(8);
    f.area(0, 4096);
    f.area(1, 4096);
    f.parameter(HeaderType::kMemoryMap, 0, 0);
    f.parameter(HeaderType::kVpCount, 1, 8);
    f.insert(0x2000, 0);
    f.insert(0x5000, 1);
    Guest g;
    auto n = place_host_parameters(f.file, {.ram_bytes = 0x1c000000, .vcpus = 4}, g);
    REQUIRE(n);
    CHECK(*n == 2);
    CHECK(load_le<uint64_t>(g.mem, 0x2000) == 0);
    CHECK(load_le<uint64_t>(g.mem, 0x2008) == 0x1c000);
    CHECK(load_le<uint16_t>(g.mem, 0x2010) == kMemoryNormal);
    CHECK(load_le<uint64_t>(g.mem, 0x2018 + 8) == 0);  // the terminating entry stays zero
    CHECK(load_le<uint32_t>(g.mem, 0x5008) == 4);
}

TEST_CASE("igvm host_parameters: malformed directives, with the exact error") {
    Guest g;
    {
        Builder f;
        f.bodies.reserve(8);
        f.insert(0x2000, 0);  // undeclared area
        CHECK(place_host_parameters(f.file, {}, g).error() == Error::kNotFound);
    }
    {
        Builder f;
        f.bodies.reserve(8);
        f.area(16, 4096);
        CHECK(place_host_parameters(f.file, {}, g).error() == Error::kOutOfRange);
    }
    {
        Builder f;
        f.bodies.reserve(8);
        f.area(0, 4096);
        f.parameter(HeaderType::kVpCount, 0, 4093);  // 4 bytes do not fit
        f.insert(0x2000, 0);
        CHECK(place_host_parameters(f.file, {}, g).error() == Error::kOutOfRange);
    }
    {
        Builder f;
        f.bodies.reserve(8);
        f.area(0, 4096);
        f.parameter(HeaderType::kMemoryMap, 0, 4096 - 24);  // no room for the terminating entry
        f.insert(0x2000, 0);
        CHECK(place_host_parameters(f.file, {}, g).error() == Error::kOutOfRange);
    }
    {
        Builder f;
        f.bodies.reserve(8);
        f.area(0, 4096);
        f.insert(0xf000 + 0x800, 0);  // runs past guest memory
        CHECK(place_host_parameters(f.file, {}, g).error() == Error::kOutOfRange);
    }
    {
        Builder f;
        f.bodies.reserve(8);
        f.add(HeaderType::kParameterInsert, Bytes(12));  // short body
        CHECK(place_host_parameters(f.file, {}, g).error() == Error::kInvalidArgument);
    }
}
