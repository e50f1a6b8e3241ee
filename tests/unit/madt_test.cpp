#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "byte_builder.hpp"
#include "warden/acpi/madt.hpp"

using namespace warden;
using namespace warden::acpi;

namespace {

using Bytes = std::vector<uint8_t>;

using test_bytes::put_le;
constexpr auto put = put_le;
void fix_checksum(Bytes& b, size_t checksum_at, size_t length) {
    b[checksum_at] = 0;
    uint8_t s = 0;
    for (size_t i = 0; i < length; ++i) s = static_cast<uint8_t>(s + b[i]);
    b[checksum_at] = static_cast<uint8_t>(0 - s);
}

Bytes table(const char* sig, const Bytes& body) {
    Bytes t(kHeaderSize, 0);
    std::memcpy(t.data(), sig, 4);
    t.insert(t.end(), body.begin(), body.end());
    put(t, 4, t.size(), 4);
    t[8] = 1;
    fix_checksum(t, 9, t.size());
    return t;
}

Bytes lapic(uint8_t uid, uint8_t id, uint32_t flags) {
    Bytes e(8, 0);
    e[0] = kMadtLocalApic;
    e[1] = 8;
    e[2] = uid;
    e[3] = id;
    put(e, 4, flags, 4);
    return e;
}

Bytes x2apic(uint32_t id, uint32_t uid, uint32_t flags) {
    Bytes e(16, 0);
    e[0] = kMadtLocalX2Apic;
    e[1] = 16;
    put(e, 4, id, 4);
    put(e, 8, flags, 4);
    put(e, 12, uid, 4);
    return e;
}

Bytes madt(std::initializer_list<Bytes> entries) {
    Bytes body(8, 0);
    put(body, 0, 0xfee00000, 4);
    put(body, 4, 1, 4);  // PCAT_COMPAT
    for (const Bytes& e : entries) body.insert(body.end(), e.begin(), e.end());
    return table("APIC", body);
}

Bytes rsdp(uint8_t revision, uint32_t rsdt, uint64_t xsdt) {
    Bytes r(revision >= 2 ? kRsdpV2Size : kRsdpV1Size, 0);
    std::memcpy(r.data(), "RSD PTR ", 8);
    std::memcpy(r.data() + 9, "WARDEN", 6);
    r[15] = revision;
    put(r, 16, rsdt, 4);
    fix_checksum(r, 8, kRsdpV1Size);
    if (revision >= 2) {
        put(r, 20, kRsdpV2Size, 4);
        put(r, 24, xsdt, 8);
        fix_checksum(r, 32, kRsdpV2Size);
    }
    return r;
}

}  // namespace

TEST_CASE("madt: entry type numbers follow ACPI 6.5 table 5.21") {
    CHECK(kMadtLocalApic == 0);
    CHECK(kMadtLocalApicOverride == 5);
    CHECK(kMadtLocalX2Apic == 9);
    CHECK(kHeaderSize == 36);
}

TEST_CASE("madt: a QEMU-like table lists its CPUs") {
    const Bytes t =
        madt({lapic(0, 0, 1), lapic(1, 1, 1), lapic(2, 2, 0), Bytes{1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0}});
    const auto m = parse_madt(t);
    REQUIRE(m.ok());
    CHECK(m->local_apic_address == 0xfee00000);
    CHECK(m->cpu_count == 3);
    CHECK(m->enabled_count() == 2);
    CHECK(m->cpus[1].apic_id == 1);
    CHECK_FALSE(m->cpus[2].enabled);
}

TEST_CASE("madt: x2APIC entries and the address override are read") {
    Bytes override_entry(12, 0);
    override_entry[0] = kMadtLocalApicOverride;
    override_entry[1] = 12;
    put(override_entry, 4, 0x1fee00000, 8);
    const auto m = parse_madt(madt({x2apic(300, 7, 1), override_entry}));
    REQUIRE(m.ok());
    CHECK(m->cpus[0].apic_id == 300);
    CHECK(m->cpus[0].uid == 7);
    CHECK(m->local_apic_address == 0x1fee00000);
}

TEST_CASE("madt: malformed tables are refused with the exact error") {
    Bytes bad_checksum = madt({lapic(0, 0, 1)});
    bad_checksum[40] ^= 1;
    Bytes short_entry = madt({lapic(0, 0, 1)});
    short_entry[kHeaderSize + 8 + 1] = 6;  // a Local APIC entry claims 6 bytes
    fix_checksum(short_entry, 9, short_entry.size());
    Bytes zero_len = madt({lapic(0, 0, 1)});
    zero_len[kHeaderSize + 8 + 1] = 0;
    fix_checksum(zero_len, 9, zero_len.size());
    Bytes long_len = madt({lapic(0, 0, 1)});
    long_len[kHeaderSize + 8 + 1] = 9;  // runs past the table
    fix_checksum(long_len, 9, long_len.size());
    Bytes length_past_buffer = madt({lapic(0, 0, 1)});
    put(length_past_buffer, 4, 4096, 4);
    Bytes tiny_length = madt({});
    put(tiny_length, 4, 10, 4);
    const Bytes wrong_sig = table("FACP", Bytes(8, 0));
    Bytes no_body = table("APIC", {});
    struct Case {
        const char* what;
        const Bytes& bytes;
        Error expected;
    };
    const Case cases[] = {
        {"bad checksum", bad_checksum, Error::kInvalidArgument},
        {"entry shorter than its type", short_entry, Error::kTruncated},
        {"entry of length 0", zero_len, Error::kOutOfRange},
        {"entry past the end", long_len, Error::kOutOfRange},
        {"length past the bytes", length_past_buffer, Error::kTruncated},
        {"length below a header", tiny_length, Error::kInvalidArgument},
        {"not a MADT", wrong_sig, Error::kBadMagic},
        {"no flags field", no_body, Error::kTruncated},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        CHECK(parse_madt(c.bytes).error() == c.expected);
    }
    CHECK(parse_madt(Bytes(10, 0)).error() == Error::kTruncated);
}

TEST_CASE("madt: more CPUs than the table holds is refused") {
    Bytes body(8, 0);
    for (int i = 0; i < 257; ++i) {
        const Bytes e = lapic(static_cast<uint8_t>(i), static_cast<uint8_t>(i), 1);
        body.insert(body.end(), e.begin(), e.end());
    }
    CHECK(parse_madt(table("APIC", body)).error() == Error::kOutOfRange);
}

TEST_CASE("madt: RSDP of revision 0 and 2 parse; bad ones do not") {
    const auto v0 = parse_rsdp(rsdp(0, 0x7fe1234, 0));
    REQUIRE(v0.ok());
    CHECK(v0->rsdt == 0x7fe1234);
    CHECK(v0->xsdt == 0);
    const auto v2 = parse_rsdp(rsdp(2, 0x1000, 0x123456789));
    REQUIRE(v2.ok());
    CHECK(v2->xsdt == 0x123456789);
    Bytes bad = rsdp(0, 0x1000, 0);
    bad[16] ^= 1;
    CHECK(parse_rsdp(bad).error() == Error::kInvalidArgument);
    Bytes bad_ext = rsdp(2, 0x1000, 0x2000);
    bad_ext[24] ^= 1;
    CHECK(parse_rsdp(bad_ext).error() == Error::kInvalidArgument);
    CHECK(parse_rsdp(Bytes(8, 0)).error() == Error::kTruncated);
    CHECK(parse_rsdp(Bytes(20, 0)).error() == Error::kBadMagic);
}

TEST_CASE("madt: the RSDP is found on a 16-byte boundary only") {
    Bytes area(256, 0);
    const Bytes r = rsdp(0, 0x1000, 0);
    std::copy(r.begin(), r.end(), area.begin() + 0x48);  // not 16-aligned: ignored
    CHECK(find_rsdp(area).error() == Error::kNotFound);
    std::copy(r.begin(), r.end(), area.begin() + 0x80);
    CHECK(*find_rsdp(area) == 0x80);
}

TEST_CASE("madt: RSDT and XSDT list their tables") {
    Bytes body(8, 0);
    put(body, 0, 0x7fe0000, 4);
    put(body, 4, 0x7fe1000, 4);
    const auto rsdt = parse_root_table(table("RSDT", body), false);
    REQUIRE(rsdt.ok());
    CHECK(rsdt->count == 2);
    CHECK(rsdt->address[1] == 0x7fe1000);
    const auto xsdt = parse_root_table(table("XSDT", body), true);
    REQUIRE(xsdt.ok());
    CHECK(xsdt->count == 1);
    CHECK(xsdt->address[0] == 0x07fe100007fe0000);
    CHECK(parse_root_table(table("XSDT", Bytes(12, 0)), true).error() == Error::kMisaligned);
    CHECK(parse_root_table(table("RSDT", body), true).error() == Error::kBadMagic);
}
