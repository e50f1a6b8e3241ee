#include "warden/snp/psp_guest_request.hpp"

#include <doctest/doctest.h>
#include <openssl/sha.h>

#include <array>

#include "openssl_p384.hpp"
#include "snp_msg_by_hand.hpp"
#include "warden/crypto/bearssl_ecdsa.hpp"
#include "warden/crypto/bearssl_gcm.hpp"

using namespace warden;
using namespace warden::snp;
using test_snp_msg::Bytes;
using test_snp_msg::get_le;
using test_snp_msg::hand_built;
using test_snp_msg::open_by_hand;
using test_snp_msg::put_le;

namespace {

// Status codes and layouts typed from docs/attestation.md (AMD's firmware
// source, Linux's sev_ret_code), not from the header under test.
constexpr uint32_t kSuccess = 0, kBadMeasurement = 0x0b, kInvalidParam = 0x16, kAeadOflow = 0x1d, kInvalidKey = 0x27;

struct Psp {
    PspGuest guest;
    crypto::BearSslAes256Gcm gcm;
    crypto::BearSslP384Key vcek = crypto::BearSslP384Key::generate(std::array<uint8_t, 48>{9, 8, 7}).value();

    Psp() {
        for (size_t k = 0; k < 4; ++k)
            for (size_t i = 0; i < 32; ++i) guest.keys.vmpck[k][i] = static_cast<uint8_t>(0x21 * (k + 1) + 3 * i);
        guest.report.version = 2;
        guest.report.policy = 0x30000;
        for (size_t i = 0; i < 48; ++i) guest.report.measurement[i] = static_cast<uint8_t>(0xd0 ^ i);
        for (size_t i = 0; i < 64; ++i) guest.report.chip_id[i] = static_cast<uint8_t>(i * 3);
    }
    std::span<const uint8_t> key(size_t k) const { return guest.keys.vmpck[k]; }

    // Serves `request`; the response page starts as 0xcc everywhere.
    PspAnswer serve(const Bytes& request, Bytes& response) {
        response.assign(4096, 0xcc);
        std::array<uint8_t, 4096> req{};
        std::copy(request.begin(), request.end(), req.begin());
        return serve_guest_request(guest, gcm, vcek, req, std::span<uint8_t, 4096>(response.data(), 4096));
    }
};

Bytes report_req(uint32_t vmpl, uint32_t key_sel = 0, uint8_t data = 0x30) {
    Bytes p(0x60);
    for (size_t i = 0; i < 64; ++i) p[i] = static_cast<uint8_t>(data + i);
    put_le(p, 0x40, vmpl, 4);
    put_le(p, 0x44, key_sel, 4);
    return p;
}

// The response opened by OpenSSL: header as the firmware writes it, MSG_REPORT_RSP's status.
Bytes open_report_rsp(const Psp& psp, const Bytes& response, uint64_t seqno, uint8_t vmpck, uint32_t status) {
    const auto o = open_by_hand(psp.key(vmpck), response);
    REQUIRE(o.ok);
    CHECK(o.seqno == seqno);
    CHECK(o.type == 6);
    CHECK(o.version == 1);
    CHECK(o.vmpck == vmpck);
    CHECK(o.payload.size() == 0x4c0);
    CHECK(get_le(o.payload, 0x00, 4) == status);
    CHECK(get_le(o.payload, 0x04, 4) == 0x4a0);  // even with an error
    for (size_t i = 0x4c0 + 0x60; i < 4096; ++i) CHECK_MESSAGE(response[i] == 0, "response byte ", i);
    return o.payload;
}

}  // namespace

TEST_CASE("psp: MSG_REPORT_REQ under VMPCK0 gets a report OpenSSL verifies, with the caller's data") {
    Psp psp;
    Bytes response;
    const auto a = psp.serve(hand_built(psp.key(0), 1, 5, 1, 0, report_req(0)), response);
    CHECK(a.status == kSuccess);
    CHECK(a.type == 5);
    CHECK(a.payload_status == kSuccess);
    const Bytes rsp = open_report_rsp(psp, response, 2, 0, kSuccess);
    const std::span<const uint8_t> r(rsp.data() + 0x20, 0x4a0);
    CHECK(get_le(r, 0x000, 4) == 2);
    CHECK(get_le(r, 0x008, 8) == 0x30000);
    CHECK(get_le(r, 0x030, 4) == 0);
    CHECK(get_le(r, 0x034, 4) == 1);
    CHECK(get_le(r, 0x048, 4) == 0);  // signed by the VCEK (signing_key 0), chip key not masked
    for (size_t i = 0; i < 64; ++i) CHECK(r[0x050 + i] == 0x30 + i);
    for (size_t i = 0; i < 48; ++i) CHECK(r[0x090 + i] == (0xd0 ^ i));
    for (size_t i = 0; i < 64; ++i) CHECK(r[0x1a0 + i] == i * 3);
    std::array<uint8_t, 48> hash{}, sr{}, ss{};
    SHA384(r.data(), 0x2a0, hash.data());
    for (size_t i = 0; i < 48; ++i) sr[47 - i] = r[0x2a0 + i], ss[47 - i] = r[0x2e8 + i];
    CHECK(test_p384::openssl_verifies(psp.vcek.public_key(), hash, sr, ss));
    CHECK(psp.guest.keys.sequence[0].last() == 2);
    // The next request is 3, and each VMPCK counts for itself.
    CHECK(psp.serve(hand_built(psp.key(0), 3, 5, 1, 0, report_req(1)), response).status == kSuccess);
    CHECK(get_le(open_report_rsp(psp, response, 4, 0, kSuccess), 0x20 + 0x30, 4) == 1);
    CHECK(psp.serve(hand_built(psp.key(2), 1, 5, 1, 2, report_req(2)), response).status == kSuccess);
    CHECK(psp.guest.keys.sequence[2].last() == 2);
}

TEST_CASE("psp: refusals at the mailbox write no response and leave the sequence") {
    Psp psp;
    Bytes response;
    REQUIRE(psp.serve(hand_built(psp.key(0), 1, 5, 1, 0, report_req(0)), response).status == kSuccess);
    const Bytes replay = hand_built(psp.key(0), 1, 5, 1, 0, report_req(0));
    Bytes bad_tag = hand_built(psp.key(0), 3, 5, 1, 0, report_req(0));
    bad_tag[5] ^= 1;
    Bytes edited_seqno = hand_built(psp.key(0), 3, 5, 1, 0, report_req(0));
    put_le(edited_seqno, 0x20, 5, 8);
    Bytes size_0x50 = hand_built(psp.key(0), 3, 5, 1, 0, Bytes(0x50, 0));
    put_le(size_0x50, 0x36, 0x4f, 2);  // not whole blocks: before the tag
    const struct {
        const char* what;
        Bytes page;
        uint32_t status;
    } cases[] = {
        {"a replay", replay, kAeadOflow},
        {"a number skipped ahead", hand_built(psp.key(0), 5, 5, 1, 0, report_req(0)), kAeadOflow},
        {"a bad tag", bad_tag, kBadMeasurement},
        {"the sequence number edited (the IV)", edited_seqno, kBadMeasurement},
        {"sealed under VMPCK1, naming VMPCK0", hand_built(psp.key(1), 3, 5, 1, 0, report_req(0)), kBadMeasurement},
        {"MSG_SIZE not whole AES blocks", size_0x50, kInvalidParam},
        {"VMPCK 4", hand_built(psp.key(0), 3, 5, 1, 4, report_req(0)), kInvalidParam},
        {"message version 2", hand_built(psp.key(0), 3, 5, 2, 0, report_req(0)), kInvalidParam},
        {"KEY_REQ (not modelled)", hand_built(psp.key(0), 3, 3, 1, 0, Bytes(0x20, 0)), kInvalidParam},
        {"a response's type", hand_built(psp.key(0), 3, 6, 1, 0, report_req(0)), kInvalidParam},
        {"type 19 (undefined)", hand_built(psp.key(0), 3, 19, 1, 0, report_req(0)), kInvalidParam},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        const auto a = psp.serve(c.page, response);
        CHECK(a.status == c.status);
        CHECK(response == Bytes(4096, 0xcc));
        CHECK(psp.guest.keys.sequence[0].last() == 2);
    }
    CHECK(psp.serve(hand_built(psp.key(0), 3, 5, 1, 0, report_req(0)), response).status == kSuccess);
}

TEST_CASE("psp: a report request's own errors are answered in the response, and the sequence moves on") {
    Psp psp;
    Bytes response;
    Bytes reserved = report_req(1);
    reserved[0x50] = 1;
    Bytes key_sel_high = report_req(1, 1u << 2);
    const struct {
        const char* what;
        uint8_t vmpck;
        Bytes payload;
        uint32_t status;
    } cases[] = {
        {"VMPL 0 asked through VMPCK1", 1, report_req(0), kInvalidParam},
        {"VMPL 1 asked through VMPCK2", 2, report_req(1), kInvalidParam},
        {"key_sel 3 (reserved)", 1, report_req(1, 3), kInvalidKey},
        {"key_sel 2: no VLEK is installed", 1, report_req(1, 2), kInvalidKey},
        {"a reserved byte", 1, reserved, kInvalidParam},
        {"key_sel's reserved bits", 1, key_sel_high, kInvalidParam},
        {"key_sel 1: the VCEK", 1, report_req(1, 1), kSuccess},
        {"VMPL 3 through VMPCK1", 1, report_req(3), kSuccess},
        {"VMPL 7 through VMPCK1 (the firmware sets no upper bound)", 1, report_req(7), kSuccess},
    };
    uint64_t seqno = 1;
    for (const auto& c : cases) {
        CAPTURE(c.what);
        const uint64_t s = psp.guest.keys.sequence[c.vmpck].last() + 1;
        const auto a = psp.serve(hand_built(psp.key(c.vmpck), s, 5, 1, c.vmpck, c.payload), response);
        CHECK(a.status == kSuccess);
        CHECK(a.payload_status == c.status);
        const Bytes rsp = open_report_rsp(psp, response, s + 1, c.vmpck, c.status);
        CHECK(psp.guest.keys.sequence[c.vmpck].last() == s + 1);
        bool zero = true;
        for (size_t i = 0x20; i < rsp.size(); ++i) zero &= rsp[i] == 0;
        CHECK(zero == (c.status != kSuccess));  // no report with an error
        if (c.status == kSuccess) CHECK(get_le(rsp, 0x20 + 0x30, 4) == get_le(c.payload, 0x40, 4));
        ++seqno;
    }
}

TEST_CASE("psp: MSG_SIZE is not the request's: the payload reads as zero past it") {
    Psp psp;
    Bytes response;
    // 0x20 bytes of user data only: VMPL 0, key_sel 0, reserved zero.
    Bytes short_req(0x20);
    for (size_t i = 0; i < 0x20; ++i) short_req[i] = static_cast<uint8_t>(0xa0 + i);
    REQUIRE(psp.serve(hand_built(psp.key(0), 1, 5, 1, 0, short_req), response).status == kSuccess);
    const Bytes rsp = open_report_rsp(psp, response, 2, 0, kSuccess);
    CHECK(rsp[0x20 + 0x50] == 0xa0);
    CHECK(rsp[0x20 + 0x50 + 0x1f] == 0xbf);
    CHECK(rsp[0x20 + 0x50 + 0x20] == 0);
    // 0x70 bytes: the first 0x60 are the request.
    Bytes long_req = report_req(0);
    long_req.resize(0x70, 0x55);
    REQUIRE(psp.serve(hand_built(psp.key(0), 3, 5, 1, 0, long_req), response).status == kSuccess);
    open_report_rsp(psp, response, 4, 0, kSuccess);
}
