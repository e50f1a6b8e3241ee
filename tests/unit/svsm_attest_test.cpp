#include <doctest/doctest.h>

#include "byte_builder.hpp"
#include "warden/svsm/attest.hpp"

using namespace warden;
using namespace warden::svsm;
using test_bytes::Bytes;
using test_bytes::put_le;

namespace {
Bytes services_op() {
    Bytes b(kAttestSingleServiceOpSize, 0);
    put_le(b, 0x00, 0x10000, 8);  // report
    put_le(b, 0x08, 4096, 4);
    put_le(b, 0x10, 0x11040, 8);  // nonce (any alignment)
    put_le(b, 0x18, 64, 2);
    put_le(b, 0x20, 0x12000, 8);  // manifest
    put_le(b, 0x28, 8192, 4);
    put_le(b, 0x30, 0, 8);  // no certificates
    put_le(b, 0x38, 0, 4);
    for (size_t i = 0; i < 16; ++i) b[0x40 + i] = static_cast<uint8_t>(i);
    put_le(b, 0x50, 3, 4);
    return b;
}
}  // namespace

TEST_CASE("svsm attest: the operation structures at the offsets of the SVSM spec") {
    const Bytes b = services_op();
    auto op = parse_attest_services(b);
    REQUIRE(op.ok());
    CHECK(op->report.raw() == 0x10000);
    CHECK(op->report_size == 4096);
    CHECK(op->nonce.raw() == 0x11040);
    CHECK(op->nonce_size == 64);
    CHECK(op->manifest.raw() == 0x12000);
    CHECK(op->manifest_size == 8192);
    CHECK(op->certificates_size == 0);
    auto single = parse_attest_single_service(b);
    REQUIRE(single.ok());
    CHECK(single->service[15] == 15);
    CHECK(single->manifest_version == 3);
}

TEST_CASE("svsm attest: malformed operations are refused") {
    CHECK(parse_attest_services(Bytes(kAttestServicesOpSize - 1, 0)).error() == Error::kTruncated);
    CHECK(parse_attest_single_service(Bytes(kAttestServicesOpSize, 0)).error() == Error::kTruncated);
    for (size_t reserved : {0x0c, 0x0f, 0x1a, 0x1f, 0x2c, 0x3c}) {
        Bytes b = services_op();
        b[reserved] = 1;
        CHECK(parse_attest_services(b).error() == Error::kInvalidArgument);
    }
    Bytes b = services_op();
    b[0x54] = 1;
    CHECK(parse_attest_single_service(b).error() == Error::kInvalidArgument);
    b = services_op();
    put_le(b, 0x18, 32, 2);
    CHECK(parse_attest_services(b).error() == Error::kInvalidArgument);  // nonce not 64 bytes
    b = services_op();
    put_le(b, 0x00, 0x10008, 8);
    CHECK(parse_attest_services(b).error() == Error::kMisaligned);
    b = services_op();
    put_le(b, 0x20, 0x12100, 8);
    CHECK(parse_attest_services(b).error() == Error::kMisaligned);
    b = services_op();
    put_le(b, 0x30, 0x13010, 8);
    CHECK(parse_attest_services(b).ok());  // no certificate buffer: its address does not matter
    put_le(b, 0x38, 4096, 4);
    CHECK(parse_attest_services(b).error() == Error::kMisaligned);
}

TEST_CASE("svsm attest: the services manifest is a GUID table with offsets from its start") {
    const uint8_t vtpm[] = {1, 2, 3};
    const ManifestEntry entries[] = {{Guid{0xaa}, vtpm}, {Guid{0xbb}, {}}};
    Bytes out(256, 0xee);
    auto n = write_services_manifest(entries, out);
    REQUIRE(n.ok());
    CHECK(*n == 3 * 24 + 3);
    CHECK(out[0] == 0xbb);  // 63849ebb-... stored little endian
    CHECK(out[3] == 0x63);
    CHECK(out[8] == 0xa1);
    CHECK(out[16] == 75);  // total length
    CHECK(out[20] == 2);   // entries
    CHECK(out[24] == 0xaa);
    CHECK(out[24 + 16] == 72);  // first entry's data right after the three rows
    CHECK(out[24 + 20] == 3);
    CHECK(out[48 + 16] == 75);  // the empty second entry points at the end
    CHECK(out[48 + 20] == 0);
    CHECK(out[72] == 1);
    CHECK(out[74] == 3);
    CHECK(out[75] == 0xee);  // nothing written past it
    Bytes small(74, 0);
    CHECK(write_services_manifest(entries, small).error() == Error::kOverflow);
    CHECK(*write_services_manifest({}, small) == 24);
}
