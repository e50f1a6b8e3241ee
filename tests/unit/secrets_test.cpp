#include <doctest/doctest.h>

#include <array>

#include "byte_builder.hpp"
#include "warden/bytes.hpp"
#include "warden/sev/secrets.hpp"

using namespace warden;
using namespace warden::sev;
using test_bytes::Bytes;
using test_bytes::put_le;

namespace {
using Page = std::array<uint8_t, kSecretsPageSize>;

// A platform page as the PSP writes it: every byte distinct from zero, so a
// test sees which ones the copy keeps.
Bytes platform_page() {
    Bytes b(kSecretsPageSize);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(0x80 | (i * 7));
    put_le(b, 0, 3, 4);
    return b;
}
constexpr SvsmFields kFields{
    .base = 0x8000000000, .size = 0x1000000, .caa = 0x80e000, .max_version = 1, .guest_vmpl = 2};

bool all(const Page& p, size_t at, size_t n, uint8_t value) {
    for (size_t i = at; i < at + n; ++i) {
        if (p[i] != value) return false;
    }
    return true;
}
bool same(const Page& p, const Bytes& b, size_t at, size_t n) {
    for (size_t i = at; i < at + n; ++i) {
        if (p[i] != b[i]) return false;
    }
    return true;
}
}  // namespace

TEST_CASE("secrets: the layout of SPEC-FACTS 7 is pinned") {
    CHECK(kSecretsVersion == 0x000);
    CHECK(kSecretsGosvw == 0x010);
    CHECK(kSecretsVmpck0 == 0x020);
    CHECK(kSecretsVmpck0 + 3 * kVmpckSize == 0x080);
    CHECK(kSecretsOsArea == 0x0a0);
    CHECK(kSecretsOsArea + kSecretsOsAreaSize == kSecretsTweakBitmap);
    CHECK(kSecretsTweakBitmap == 0x100);
    CHECK(kSecretsSvsmBase == 0x140);
    CHECK(kSecretsSvsmSize == 0x148);
    CHECK(kSecretsSvsmCaa == 0x150);
    CHECK(kSecretsSvsmMaxVersion == 0x158);
    CHECK(kSecretsSvsmGuestVmpl == 0x15c);
    CHECK(kSecretsPageVersion == 3);
}

TEST_CASE("secrets: the guest's copy writes the SVSM fields at their offsets") {
    const Bytes svsm = platform_page();
    Page out{};
    REQUIRE(make_guest_secrets(svsm, kFields, out).ok());
    CHECK(load_le<uint64_t>(out, 0x140) == 0x8000000000);
    CHECK(load_le<uint64_t>(out, 0x148) == 0x1000000);
    CHECK(load_le<uint64_t>(out, 0x150) == 0x80e000);
    CHECK(load_le<uint32_t>(out, 0x158) == 1);
    CHECK(out[0x15c] == 2);
    CHECK(all(out, 0x15d, 3, 0));  // reserved
    auto back = read_svsm_fields(out);
    REQUIRE(back.ok());
    CHECK(*back == kFields);
}

TEST_CASE("secrets: the keys of more privileged VMPLs are cleared, the guest's own and below are kept") {
    const Bytes svsm = platform_page();
    for (uint8_t vmpl = 1; vmpl <= 3; ++vmpl) {
        CAPTURE(vmpl);
        SvsmFields f = kFields;
        f.guest_vmpl = vmpl;
        Page out{};
        REQUIRE(make_guest_secrets(svsm, f, out).ok());
        for (size_t key = 0; key < kVmpckCount; ++key) {
            CAPTURE(key);
            const size_t at = kSecretsVmpck0 + key * kVmpckSize;
            if (key < vmpl) {
                CHECK(all(out, at, kVmpckSize, 0));
            } else {
                CHECK(same(out, svsm, at, kVmpckSize));
            }
        }
    }
}

TEST_CASE("secrets: the platform's fields are copied and the OS area starts empty") {
    const Bytes svsm = platform_page();
    Page out{};
    REQUIRE(make_guest_secrets(svsm, kFields, out).ok());
    CHECK(same(out, svsm, 0x000, 0x20));  // version, IMI flag, FMS, reserved, GOSVW
    CHECK(load_le<uint32_t>(out, 0) == 3);
    CHECK(all(out, kSecretsOsArea, kSecretsOsAreaSize, 0));
    CHECK(same(out, svsm, kSecretsTweakBitmap, 64));
    CHECK(same(out, svsm, kSecretsSvsmEnd, kSecretsPageSize - kSecretsSvsmEnd));
}

TEST_CASE("secrets: with no platform page the copy is a version-3 page with no keys") {
    Page out;
    out.fill(0xee);
    REQUIRE(make_guest_secrets({}, kFields, out).ok());
    CHECK(load_le<uint32_t>(out, 0) == kSecretsPageVersion);
    CHECK(all(out, 4, kSecretsSvsmBase - 4, 0));
    CHECK(all(out, kSecretsSvsmEnd, kSecretsPageSize - kSecretsSvsmEnd, 0));
    CHECK(*read_svsm_fields(out) == kFields);
}

TEST_CASE("secrets: malformed inputs are refused and leave the output alone") {
    const Bytes svsm = platform_page();
    struct Bad {
        size_t page_size;
        SvsmFields f;
        Error expected;
    };
    auto with = [](auto change) {
        SvsmFields f = kFields;
        change(f);
        return f;
    };
    const Bad cases[] = {
        {4095, kFields, Error::kInvalidArgument},
        {4097, kFields, Error::kInvalidArgument},
        {16, kFields, Error::kInvalidArgument},
        {4096, with([](SvsmFields& f) { f.caa += 8; }), Error::kInvalidArgument},
        {4096, with([](SvsmFields& f) { f.caa |= 0x800; }), Error::kInvalidArgument},
        {4096, with([](SvsmFields& f) { f.size = 0; }), Error::kInvalidArgument},
        {0, with([](SvsmFields& f) { f.size = 0; }), Error::kInvalidArgument},
        {4096, with([](SvsmFields& f) { f.guest_vmpl = 0; }), Error::kOutOfRange},
        {4096, with([](SvsmFields& f) { f.guest_vmpl = 4; }), Error::kOutOfRange},
        {0, with([](SvsmFields& f) { f.guest_vmpl = 255; }), Error::kOutOfRange},
    };
    for (const Bad& c : cases) {
        CAPTURE(c.page_size);
        Bytes page(svsm.begin(), svsm.begin() + static_cast<std::ptrdiff_t>(c.page_size <= 4096 ? c.page_size : 4096));
        page.resize(c.page_size, 0);
        Page out;
        out.fill(0xee);
        CHECK(make_guest_secrets(page, c.f, out).error() == c.expected);
        CHECK(all(out, 0, kSecretsPageSize, 0xee));
    }
}

TEST_CASE("secrets: a guest reads the SVSM fields as Linux does, and refuses what Linux refuses") {
    Page good{};
    REQUIRE(make_guest_secrets({}, kFields, good).ok());
    CHECK(read_svsm_fields(std::span<const uint8_t>(good).first(kSecretsSvsmEnd)).ok());  // the fields suffice
    CHECK(read_svsm_fields(std::span<const uint8_t>(good).first(kSecretsSvsmEnd - 1)).error() == Error::kTruncated);
    CHECK(read_svsm_fields({}).error() == Error::kTruncated);

    Page zero{};
    CHECK(read_svsm_fields(zero).error() == Error::kNotFound);  // no SVSM: native, or no SVSM under SNP
    auto with = [&](size_t at, uint64_t value, size_t n) {
        Page p = good;
        for (size_t i = 0; i < n; ++i) p[at + i] = static_cast<uint8_t>(value >> (8 * i));
        return read_svsm_fields(p).error();
    };
    CHECK(with(kSecretsSvsmSize, 0, 8) == Error::kNotFound);
    CHECK(with(kSecretsSvsmGuestVmpl, 0, 1) == Error::kOutOfRange);
    CHECK(with(kSecretsSvsmGuestVmpl, 4, 1) == Error::kOutOfRange);
    CHECK(with(kSecretsSvsmCaa, 0x80e010, 8) == Error::kInvalidArgument);
    CHECK(with(kSecretsSvsmGuestVmpl + 1, 0xff, 3) == Error{});  // reserved bytes are not looked at
}
