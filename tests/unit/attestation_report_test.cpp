#include "warden/sev/attestation_report.hpp"

#include <doctest/doctest.h>
#include <openssl/sha.h>

#include <array>
#include <vector>

#include "openssl_p384.hpp"
#include "warden/crypto/bearssl_ecdsa.hpp"
#include "warden/snp/psp_guest_request.hpp"

using namespace warden;
using namespace warden::sev;

namespace {

// Offsets typed in from SPEC-FACTS 7b (SNP Firmware ABI 56860, Table
// "ATTESTATION_REPORT Structure"), not from the header under test.
uint64_t le(std::span<const uint8_t> b, size_t at, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{b[at + i]} << (8 * i);
    return v;
}

ReportFields sample_fields() {
    ReportFields f;
    f.version = 2;
    f.guest_svn = 0x11223344;
    f.policy = 0x30000;
    f.vmpl = 2;
    f.current_tcb = 0x0102030405060708;
    f.reported_tcb = 0x1112131415161718;
    f.committed_tcb = 0x2122232425262728;
    f.launch_tcb = 0x3132333435363738;
    f.platform_info = 0x5;
    f.flags = 0;
    for (size_t i = 0; i < 64; ++i) f.report_data[i] = static_cast<uint8_t>(0x80 + i);
    for (size_t i = 0; i < 48; ++i) f.measurement[i] = static_cast<uint8_t>(0x40 + i);
    for (size_t i = 0; i < 32; ++i) f.report_id[i] = static_cast<uint8_t>(0xa0 + i);
    for (size_t i = 0; i < 64; ++i) f.chip_id[i] = static_cast<uint8_t>(0xc0 + i);
    f.current_version = {7, 55, 1};
    f.committed_version = {6, 54, 1};
    return f;
}

std::array<uint8_t, 48> seed() {
    std::array<uint8_t, 48> s{};
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(i * 13 + 5);
    return s;
}

}  // namespace

TEST_CASE("attestation report: every field at the ABI's offset, the rest zero") {
    std::array<uint8_t, 0x4a0> r{};
    r.fill(0xee);
    build_report(sample_fields(), r);
    CHECK(le(r, 0x000, 4) == 2);
    CHECK(le(r, 0x004, 4) == 0x11223344);
    CHECK(le(r, 0x008, 8) == 0x30000);
    CHECK(le(r, 0x030, 4) == 2);
    CHECK(le(r, 0x034, 4) == 1);  // ECDSA P-384 with SHA-384
    CHECK(le(r, 0x038, 8) == 0x0102030405060708);
    CHECK(le(r, 0x040, 8) == 5);
    CHECK(le(r, 0x048, 4) == 0);
    CHECK(r[0x050] == 0x80);
    CHECK(r[0x08f] == 0x80 + 63);
    CHECK(r[0x090] == 0x40);
    CHECK(r[0x0bf] == 0x40 + 47);
    CHECK(r[0x140] == 0xa0);
    CHECK(le(r, 0x180, 8) == 0x1112131415161718);
    CHECK(r[0x1a0] == 0xc0);
    CHECK(r[0x1df] == 0xc0 + 63);
    CHECK(le(r, 0x1e0, 8) == 0x2122232425262728);
    CHECK((r[0x1e8] == 7 && r[0x1e9] == 55 && r[0x1ea] == 1));
    CHECK((r[0x1ec] == 6 && r[0x1ed] == 54 && r[0x1ee] == 1));
    CHECK(le(r, 0x1f0, 8) == 0x3132333435363738);
    // What no field names is zero: family/image ID, host data, the key
    // digests, REPORT_ID_MA, the reserved bytes and the signature.
    const std::pair<size_t, size_t> zero[] = {{0x010, 0x030}, {0x04c, 0x050}, {0x0c0, 0x140}, {0x160, 0x180},
                                              {0x188, 0x1a0}, {0x1eb, 0x1ec}, {0x1ef, 0x1f0}, {0x1f8, 0x4a0}};
    for (auto [from, to] : zero) {
        for (size_t i = from; i < to; ++i) CHECK_MESSAGE(r[i] == 0, "byte ", i);
    }
}

TEST_CASE("attestation report: signed over 0x000..0x29f, r and s little-endian at 0x2a0 and 0x2e8; OpenSSL verifies") {
    auto key = crypto::BearSslP384Key::generate(seed());
    REQUIRE(key.ok());
    std::array<uint8_t, 0x4a0> r{};
    build_report(sample_fields(), r);
    REQUIRE(snp::sign_report(r, *key).ok());
    std::array<uint8_t, 48> hash{};
    SHA384(r.data(), 0x2a0, hash.data());
    // The spec's layout, reversed by hand: 72 little-endian bytes each, the top 24 zero.
    std::array<uint8_t, 48> rr{}, ss{};
    for (size_t i = 0; i < 48; ++i) {
        rr[47 - i] = r[0x2a0 + i];
        ss[47 - i] = r[0x2e8 + i];
    }
    for (size_t i = 48; i < 72; ++i) CHECK((r[0x2a0 + i] == 0 && r[0x2e8 + i] == 0));
    for (size_t i = 0x330; i < 0x4a0; ++i) CHECK(r[i] == 0);
    CHECK(test_p384::openssl_verifies(key->public_key(), hash, rr, ss));
    // A changed signed byte: the signature no longer holds.
    auto changed = r;
    changed[0x090] ^= 1;  // MEASUREMENT
    std::array<uint8_t, 48> hash2{};
    SHA384(changed.data(), 0x2a0, hash2.data());
    CHECK_FALSE(test_p384::openssl_verifies(key->public_key(), hash2, rr, ss));
    // report_signature reads back what was written.
    auto sig = report_signature(r);
    REQUIRE(sig.ok());
    CHECK(sig->r == rr);
    CHECK(sig->s == ss);
    changed = r;
    changed[0x2a0 + 60] = 1;
    CHECK(report_signature(changed).error() == Error::kInvalidArgument);
    changed = r;
    changed[0x2e8 + 71] = 1;
    CHECK(report_signature(changed).error() == Error::kInvalidArgument);
}

TEST_CASE("attestation report: MSG_REPORT_REQ is 0x60 bytes: user data, VMPL, key_sel") {
    std::vector<uint8_t> p(0x60, 0);
    for (size_t i = 0; i < 64; ++i) p[i] = static_cast<uint8_t>(i);
    p[0x40] = 3;
    p[0x44] = 2;
    p[0x5f] = 0x99;  // reserved: the PSP's to judge
    auto r = parse_report_request(p);
    REQUIRE(r.ok());
    CHECK(r->user_data[63] == 63);
    CHECK(r->vmpl == 3);
    CHECK(r->key_sel == 2);
    CHECK(parse_report_request(std::span(p).first(0x5f)).error() == Error::kTruncated);
    p.push_back(0);
    CHECK(parse_report_request(p).error() == Error::kTruncated);
    CHECK(parse_report_request({}).error() == Error::kTruncated);
    const auto enc = encode_report_request(ReportRequest{.user_data = r->user_data, .vmpl = 1, .key_sel = 0});
    CHECK(enc[0x40] == 1);
    CHECK(enc[0x10] == 0x10);
    CHECK(enc[0x5f] == 0);
    auto back = parse_report_request(enc);
    REQUIRE(back.ok());
    CHECK(back->vmpl == 1);
    CHECK(back->user_data == r->user_data);
}
