#include "warden/sev/guest_msg.hpp"

#include <doctest/doctest.h>

#include <array>
#include <functional>

#include "byte_builder.hpp"
#include "gcm_vectors.hpp"
#include "snp_msg_by_hand.hpp"
#include "warden/crypto/bearssl_gcm.hpp"

using namespace warden;
using namespace warden::sev;
using test_bytes::put_le;
using test_gcm::Bytes;
using test_snp_msg::hand_built;

namespace {

Vmpck key_from(uint8_t seed) {
    Vmpck k{};
    for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + i * 13);
    return k;
}

PspMsgKeys psp_keys() {
    PspMsgKeys keys;
    for (uint8_t i = 0; i < kVmpckCount; ++i) keys.vmpck[i] = key_from(static_cast<uint8_t>(0x40 * i + 1));
    return keys;
}

Bytes report_request_payload() {
    Bytes p(0x60);
    for (size_t i = 0; i < 64; ++i) p[i] = static_cast<uint8_t>(i);  // user_data
    put_le(p, 0x40, 1, 4);                                           // vmpl
    return p;
}

}  // namespace

TEST_CASE("guest_msg: the header's layout is the SNP ABI's") {
    CHECK(kMsgPageSize == 4096);
    CHECK(kMsgHeaderSize == 0x60);
    CHECK(kMsgMaxPayload == 4000);
    CHECK(kMsgAuthTag == 0x00);
    CHECK(kMsgAuthTagSize == 32);
    CHECK(kMsgSeqno == 0x20);
    CHECK(kMsgAlgo == 0x30);
    CHECK(kMsgHdrVersion == 0x31);
    CHECK(kMsgHdrSize == 0x32);
    CHECK(kMsgType == 0x34);
    CHECK(kMsgVersion == 0x35);
    CHECK(kMsgSize == 0x36);
    CHECK(kMsgVmpck == 0x3c);
    CHECK(kMsgAad == 0x30);
    CHECK(kMsgAadSize == 48);
    CHECK(kMsgAlgoAes256Gcm == 1);
    CHECK(kMsgHeaderVersion == 1);
    CHECK(kMsgKeyReq == 3);
    CHECK(kMsgKeyRsp == 4);
    CHECK(kMsgReportReq == 5);
    CHECK(kMsgReportRsp == 6);
}

TEST_CASE("guest_msg: a sealed message is byte for byte the one built by hand with OpenSSL") {
    crypto::BearSslAes256Gcm gcm;
    const Vmpck key = key_from(7);
    const Bytes payload = report_request_payload();
    Bytes page(4096, 0xcc);
    const MsgHeader h{0x0102030405060708, kMsgReportReq, 1, static_cast<uint16_t>(payload.size()), 2};
    const auto n = seal_msg(h, payload, key, gcm, page);
    REQUIRE(n.ok());
    CHECK(*n == 0x60 + payload.size());
    CHECK(page == hand_built(key, h.seqno, kMsgReportReq, 1, 2, payload));
}

TEST_CASE("guest_msg: opens a message built by hand with OpenSSL") {
    crypto::BearSslAes256Gcm gcm;
    const Vmpck key = key_from(9);
    const Bytes payload = report_request_payload();
    const Bytes page = hand_built(key, 0x8877665544332211, kMsgReportReq, 1, 3, payload);
    Bytes out(kMsgMaxPayload, 0xcc);
    const auto h = open_msg(page, key, gcm, out);
    REQUIRE(h.ok());
    CHECK(*h == MsgHeader{0x8877665544332211, kMsgReportReq, 1, static_cast<uint16_t>(payload.size()), 3});
    CHECK(Bytes(out.begin(), out.begin() + static_cast<ptrdiff_t>(payload.size())) == payload);
    CHECK(out[payload.size()] == 0xcc);  // nothing past the payload
}

TEST_CASE("guest_msg: a guest and the PSP exchange two requests on one VMPCK") {
    crypto::BearSslAes256Gcm gcm;
    PspMsgKeys psp = psp_keys();
    MsgSequence guest;
    const Bytes payload = report_request_payload();
    for (uint64_t round = 0; round < 2; ++round) {
        CAPTURE(round);
        Bytes request(4096), response(4096), got(kMsgMaxPayload);
        REQUIRE(seal_request(kMsgReportReq, 1, 1, payload, psp.vmpck[1], guest, gcm, request).ok());
        const auto req = open_request(request, psp, gcm, got);
        REQUIRE(req.ok());
        CHECK(req->seqno == 2 * round + 1);
        CHECK(Bytes(got.begin(), got.begin() + static_cast<ptrdiff_t>(req->size)) == payload);

        const Bytes answer(0x20 + 0x4a0, static_cast<uint8_t>(0x50 + round));
        REQUIRE(seal_response(*req, answer, psp, gcm, response).ok());
        CHECK(psp.sequence[1].last() == 2 * round + 2);
        CHECK(psp.sequence[0].last() == 0);  // each VMPCK counts for itself

        const auto rsp = open_response(response, *req, psp.vmpck[1], guest, gcm, got);
        REQUIRE(rsp.ok());
        CHECK(*rsp == MsgHeader{2 * round + 2, kMsgReportRsp, 1, static_cast<uint16_t>(answer.size()), 1});
        CHECK(Bytes(got.begin(), got.begin() + static_cast<ptrdiff_t>(answer.size())) == answer);
        CHECK(guest.last() == 2 * round + 2);
    }
}

TEST_CASE("guest_msg: a replayed or skipped-ahead request is refused and the sequence stays") {
    crypto::BearSslAes256Gcm gcm;
    PspMsgKeys psp = psp_keys();
    const Bytes payload = report_request_payload();
    Bytes request(4096), response(4096), got(kMsgMaxPayload);
    REQUIRE(seal_request(kMsgReportReq, 1, 0, payload, psp.vmpck[0], MsgSequence{}, gcm, request).ok());
    const auto req = open_request(request, psp, gcm, got);
    REQUIRE(req.ok());
    // Opened twice before it is answered: the same request, still expected.
    CHECK(open_request(request, psp, gcm, got).ok());
    REQUIRE(seal_response(*req, payload, psp, gcm, response).ok());
    // Answered: the same page again is a replay.
    CHECK(open_request(request, psp, gcm, got).error() == Error::kBadSequence);
    CHECK(seal_response(*req, payload, psp, gcm, response).error() == Error::kBadSequence);
    // A number skipped ahead (5 where 3 is next), properly sealed.
    Bytes ahead(4096);
    REQUIRE(seal_msg({5, kMsgReportReq, 1, static_cast<uint16_t>(payload.size()), 0}, payload, psp.vmpck[0], gcm, ahead)
                .ok());
    CHECK(open_request(ahead, psp, gcm, got).error() == Error::kBadSequence);
    CHECK(psp.sequence[0].last() == 2);
}

// The firmware's order (docs/attestation.md): the header's form, the tag,
// the sequence number, then MSG_VERSION and MSG_TYPE. A byte of the
// authenticated header (type, version, a shorter size that is still whole
// blocks) or the sequence number (the IV) changed fails the tag.
TEST_CASE("guest_msg: the PSP refuses malformed requests with the exact error and writes nothing") {
    crypto::BearSslAes256Gcm gcm;
    const PspMsgKeys psp = psp_keys();
    const Bytes payload = report_request_payload();
    Bytes good(4096);
    REQUIRE(seal_request(kMsgReportReq, 1, 0, payload, psp.vmpck[0], MsgSequence{}, gcm, good).ok());

    struct Case {
        const char* what;
        std::function<void(Bytes&)> change;
        Error error;
    };
    const Case cases[] = {
        {"no header", [](Bytes& p) { p.clear(); }, Error::kTruncated},
        {"header one byte short", [](Bytes& p) { p.resize(0x5f); }, Error::kTruncated},
        {"payload one byte short", [&](Bytes& p) { p.resize(0x60 + payload.size() - 1); }, Error::kTruncated},
        {"algo 0 (invalid)", [](Bytes& p) { p[0x30] = 0; }, Error::kUnsupported},
        {"algo 2 (undefined)", [](Bytes& p) { p[0x30] = 2; }, Error::kUnsupported},
        {"header version 0", [](Bytes& p) { p[0x31] = 0; }, Error::kBadVersion},
        {"header version 2", [](Bytes& p) { p[0x31] = 2; }, Error::kBadVersion},
        {"header size 0x5f", [](Bytes& p) { put_le(p, 0x32, 0x5f, 2); }, Error::kInvalidArgument},
        {"header size 0x1060", [](Bytes& p) { put_le(p, 0x32, 0x1060, 2); }, Error::kInvalidArgument},
        {"message type 0 (authenticated)", [](Bytes& p) { p[0x34] = 0; }, Error::kDenied},
        {"message type 19 (undefined; authenticated)", [](Bytes& p) { p[0x34] = 19; }, Error::kDenied},
        {"a response's type (authenticated)", [](Bytes& p) { p[0x34] = kMsgReportRsp; }, Error::kDenied},
        {"size 0", [](Bytes& p) { put_le(p, 0x36, 0, 2); }, Error::kInvalidArgument},
        {"size 0x5f: not whole AES blocks", [](Bytes& p) { put_le(p, 0x36, 0x5f, 2); }, Error::kInvalidArgument},
        {"size 4001 and not whole blocks: the page first", [](Bytes& p) { put_le(p, 0x36, 4001, 2); },
         Error::kOutOfRange},
        {"size 4016: past the page", [](Bytes& p) { put_le(p, 0x36, 4016, 2); }, Error::kOutOfRange},
        {"size 0xffff", [](Bytes& p) { put_le(p, 0x36, 0xffff, 2); }, Error::kOutOfRange},
        {"VMPCK 4", [](Bytes& p) { p[0x3c] = 4; }, Error::kOutOfRange},
        {"VMPCK 0xff", [](Bytes& p) { p[0x3c] = 0xff; }, Error::kOutOfRange},
        {"sequence number 0 (the IV)", [](Bytes& p) { put_le(p, 0x20, 0, 8); }, Error::kDenied},
        {"sequence number 2 (the IV)", [](Bytes& p) { put_le(p, 0x20, 2, 8); }, Error::kDenied},
        {"tag's first byte", [](Bytes& p) { p[0x00] ^= 1; }, Error::kDenied},
        {"tag's last byte", [](Bytes& p) { p[0x0f] ^= 0x80; }, Error::kDenied},
        {"ciphertext", [&](Bytes& p) { p[0x60 + payload.size() - 1] ^= 1; }, Error::kDenied},
        {"message version (authenticated)", [](Bytes& p) { p[0x35] = 2; }, Error::kDenied},
        {"reserved byte in the AAD", [](Bytes& p) { p[0x5f] = 1; }, Error::kDenied},
        {"another VMPCK's id: the wrong key", [](Bytes& p) { p[0x3c] = 1; }, Error::kDenied},
        {"a shorter size in whole blocks (authenticated)", [](Bytes& p) { put_le(p, 0x36, 0x50, 2); },
         Error::kDenied},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        Bytes page = good;
        c.change(page);
        Bytes out(kMsgMaxPayload, 0xcc);
        CHECK(open_request(page, psp, gcm, out).error() == c.error);
        CHECK(out == Bytes(kMsgMaxPayload, 0xcc));
    }
    // The output shorter than the payload.
    Bytes small(payload.size() - 1, 0xcc);
    CHECK(open_request(good, psp, gcm, small).error() == Error::kOutOfRange);
    CHECK(small == Bytes(payload.size() - 1, 0xcc));
    // Bytes 0x28..0x2f lie outside the AAD and the IV (Linux's rsvd1): not checked.
    Bytes page = good;
    page[0x28] = 0xff;
    Bytes out(kMsgMaxPayload);
    CHECK(open_request(page, psp, gcm, out).ok());
    // Properly sealed, refused after the tag: MSG_VERSION, then MSG_TYPE.
    const auto sealed = [&](uint8_t type, uint8_t version) {
        Bytes p(4096);
        REQUIRE(seal_msg({1, type, version, static_cast<uint16_t>(payload.size()), 0}, payload, psp.vmpck[0], gcm, p)
                    .ok());
        return p;
    };
    const struct {
        const char* what;
        Bytes page;
        Error error;
    } after_tag[] = {
        {"message version 0", sealed(kMsgReportReq, 0), Error::kBadVersion},
        {"message version 2", sealed(kMsgReportReq, 2), Error::kBadVersion},
        {"a response's type", sealed(kMsgReportRsp, 1), Error::kUnsupported},
        {"a response's type, version 2: the version first", sealed(kMsgKeyRsp, 2), Error::kBadVersion},
    };
    for (const auto& c : after_tag) {
        CAPTURE(c.what);
        Bytes o(kMsgMaxPayload, 0xcc);
        CHECK(open_request(c.page, psp, gcm, o).error() == c.error);
        CHECK(o == Bytes(kMsgMaxPayload, 0xcc));
    }
}

TEST_CASE("guest_msg: payloads of 0 and 4000 bytes fit; 4001 or a short page do not") {
    crypto::BearSslAes256Gcm gcm;
    const Vmpck key = key_from(3);
    for (size_t size : {size_t{0}, size_t{kMsgMaxPayload}}) {
        CAPTURE(size);
        const Bytes payload(size, 0x5a);
        Bytes page(4096), out(kMsgMaxPayload);
        const auto n = seal_msg({1, kMsgKeyReq, 1, static_cast<uint16_t>(size), 0}, payload, key, gcm, page);
        REQUIRE(n.ok());
        CHECK(*n == 0x60 + size);
        const auto h = open_msg(std::span<const uint8_t>(page).first(*n), key, gcm, out);
        REQUIRE(h.ok());
        CHECK(h->size == size);
    }
    const Bytes too_big(kMsgMaxPayload + 1);
    Bytes page(4096, 0xcc);
    CHECK(seal_msg({1, kMsgKeyReq, 1, static_cast<uint16_t>(too_big.size()), 0}, too_big, key, gcm, page).error() ==
          Error::kOutOfRange);
    const Bytes payload(16);
    CHECK(seal_msg({1, kMsgKeyReq, 1, 15, 0}, payload, key, gcm, page).error() == Error::kInvalidArgument);
    CHECK(seal_msg({1, 0, 1, 16, 0}, payload, key, gcm, page).error() == Error::kInvalidArgument);
    CHECK(seal_msg({1, kMsgKeyReq, 1, 16, 4}, payload, key, gcm, page).error() == Error::kOutOfRange);
    CHECK(page == Bytes(4096, 0xcc));
    Bytes short_page(4095, 0xcc);
    CHECK(seal_msg({1, kMsgKeyReq, 1, 16, 0}, payload, key, gcm, short_page).error() == Error::kTruncated);
    CHECK(short_page == Bytes(4095, 0xcc));
    CHECK(seal_request(kMsgKeyRsp, 1, 0, payload, key, MsgSequence{}, gcm, page).error() == Error::kInvalidArgument);
}

TEST_CASE("guest_msg: the guest accepts only the answer to its request") {
    crypto::BearSslAes256Gcm gcm;
    PspMsgKeys psp = psp_keys();
    const Bytes payload = report_request_payload();
    Bytes request(4096), response(4096), got(kMsgMaxPayload);
    MsgSequence guest(10);  // numbers kept from before: the next request is 11
    psp.sequence[2] = MsgSequence(10);
    REQUIRE(seal_request(kMsgReportReq, 1, 2, payload, psp.vmpck[2], guest, gcm, request).ok());
    const auto req = open_request(request, psp, gcm, got);
    REQUIRE(req.ok());
    CHECK(req->seqno == 11);
    REQUIRE(seal_response(*req, payload, psp, gcm, response).ok());

    auto answer = [&](uint64_t seqno, uint8_t type, uint8_t version, uint8_t vmpck) {
        Bytes page(4096);
        REQUIRE(seal_msg({seqno, type, version, static_cast<uint16_t>(payload.size()), vmpck}, payload,
                         psp.vmpck[vmpck], gcm, page)
                    .ok());
        return page;
    };
    Bytes forged = response;
    forged[3] ^= 1;
    struct Case {
        const char* what;
        Bytes page;
        Error error;
    };
    const Case cases[] = {
        {"another type", answer(12, kMsgKeyRsp, 1, 2), Error::kInvalidArgument},
        {"the request echoed", request, Error::kInvalidArgument},
        {"another version", answer(12, kMsgReportRsp, 2, 2), Error::kInvalidArgument},
        {"another VMPCK", answer(12, kMsgReportRsp, 1, 1), Error::kInvalidArgument},
        {"request + 3", answer(14, kMsgReportRsp, 1, 2), Error::kBadSequence},
        {"the request's own number", answer(11, kMsgReportRsp, 1, 2), Error::kBadSequence},
        {"a bad tag", forged, Error::kDenied},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        Bytes out(kMsgMaxPayload, 0xcc);
        CHECK(open_response(c.page, *req, psp.vmpck[2], guest, gcm, out).error() == c.error);
        CHECK(out == Bytes(kMsgMaxPayload, 0xcc));
        CHECK(guest.last() == 10);
    }
    REQUIRE(open_response(response, *req, psp.vmpck[2], guest, gcm, got).ok());
    CHECK(guest.last() == 12);
    // The same response again: the exchange is over.
    CHECK(open_response(response, *req, psp.vmpck[2], guest, gcm, got).error() == Error::kBadSequence);
}

TEST_CASE("guest_msg: a sequence that would wrap is spent") {
    CHECK(MsgSequence{}.request_seqno().value() == 1);
    CHECK(MsgSequence{}.response_seqno() == 2);
    CHECK(MsgSequence(UINT64_MAX - 2).request_seqno().value() == UINT64_MAX - 1);
    CHECK(MsgSequence(UINT64_MAX - 1).request_seqno().error() == Error::kOverflow);
    CHECK(MsgSequence(UINT64_MAX).request_seqno().error() == Error::kOverflow);

    crypto::BearSslAes256Gcm gcm;
    PspMsgKeys psp = psp_keys();
    psp.sequence[0] = MsgSequence(UINT64_MAX - 1);
    Bytes page(4096), out(kMsgMaxPayload);
    const Bytes block(16, 0x42);
    REQUIRE(seal_msg({UINT64_MAX, kMsgKeyReq, 1, 16, 0}, block, psp.vmpck[0], gcm, page).ok());
    CHECK(open_request(page, psp, gcm, out).error() == Error::kOverflow);
    CHECK(seal_request(kMsgKeyReq, 1, 0, {}, psp.vmpck[0], psp.sequence[0], gcm, page).error() == Error::kOverflow);
}
