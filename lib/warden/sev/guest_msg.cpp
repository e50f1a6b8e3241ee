// The SNP guest message: header, AES-256-GCM, sequence numbers (guest_msg.hpp).
#include "warden/sev/guest_msg.hpp"

#include "warden/bytes.hpp"

namespace warden::sev {

namespace {

bool known_type(uint8_t type) { return type != 0 && type <= kMsgTypeLast; }
bool is_request(uint8_t type) { return type % 2 == 1; }

// The IV: the sequence number, little-endian, then four zero bytes (Linux
// enc_payload; COCONUT greq/msg.rs).
std::array<uint8_t, crypto::kGcmIvSize> msg_iv(uint64_t seqno) {
    std::array<uint8_t, crypto::kGcmIvSize> iv{};
    store_le<uint64_t>(iv, 0, seqno);
    return iv;
}

// The header's form; MSG_TYPE too when `check_type` (the PSP looks at the
// type only after the tag, open_request).
Result<MsgHeader> parse_header(std::span<const uint8_t> msg, bool check_type) {
    if (msg.size() < kMsgHeaderSize) return Fail(Error::kTruncated);
    if (msg[kMsgAlgo] != kMsgAlgoAes256Gcm) return Fail(Error::kUnsupported);
    if (msg[kMsgHdrVersion] != kMsgHeaderVersion) return Fail(Error::kBadVersion);
    if (load_le<uint16_t>(msg, kMsgHdrSize) != kMsgHeaderSize) return Fail(Error::kInvalidArgument);
    MsgHeader h;
    h.seqno = load_le<uint64_t>(msg, kMsgSeqno);
    h.type = msg[kMsgType];
    h.version = msg[kMsgVersion];
    h.size = load_le<uint16_t>(msg, kMsgSize);
    h.vmpck = msg[kMsgVmpck];
    if (check_type && !known_type(h.type)) return Fail(Error::kUnsupported);
    if (h.size > kMsgMaxPayload || h.vmpck >= kVmpckCount) return Fail(Error::kOutOfRange);
    if (msg.size() < kMsgHeaderSize + h.size) return Fail(Error::kTruncated);
    return h;
}

bool tag_matches(std::span<const uint8_t> msg, const MsgHeader& h, const Vmpck& key, crypto::Aes256Gcm& aead,
                 std::span<uint8_t> payload_out) {
    return aead.open(key, msg_iv(h.seqno), msg.subspan(kMsgAad, kMsgAadSize), msg.subspan(kMsgHeaderSize, h.size),
                     msg.subspan<kMsgAuthTag, crypto::kGcmTagSize>(), payload_out.first(h.size));
}

}  // namespace

Result<MsgHeader> parse_msg_header(std::span<const uint8_t> msg) { return parse_header(msg, true); }

Result<size_t> seal_msg(const MsgHeader& h, std::span<const uint8_t> payload, const Vmpck& key, crypto::Aes256Gcm& aead,
                        std::span<uint8_t> out) {
    if (payload.size() > kMsgMaxPayload || h.vmpck >= kVmpckCount) return Fail(Error::kOutOfRange);
    if (h.size != payload.size() || !known_type(h.type)) return Fail(Error::kInvalidArgument);
    if (out.size() < kMsgPageSize) return Fail(Error::kTruncated);
    const auto page = out.first<kMsgPageSize>();
    for (uint8_t& b : page) b = 0;
    store_le<uint64_t>(page, kMsgSeqno, h.seqno);
    page[kMsgAlgo] = kMsgAlgoAes256Gcm;
    page[kMsgHdrVersion] = kMsgHeaderVersion;
    store_le<uint16_t>(page, kMsgHdrSize, kMsgHeaderSize);
    page[kMsgType] = h.type;
    page[kMsgVersion] = h.version;
    store_le<uint16_t>(page, kMsgSize, h.size);
    page[kMsgVmpck] = h.vmpck;
    const auto body = page.subspan(kMsgHeaderSize, payload.size());
    for (size_t i = 0; i < payload.size(); ++i) body[i] = payload[i];
    aead.seal(key, msg_iv(h.seqno), page.subspan(kMsgAad, kMsgAadSize), body,
              page.subspan<kMsgAuthTag, crypto::kGcmTagSize>());
    return kMsgHeaderSize + payload.size();
}

Result<MsgHeader> open_msg(std::span<const uint8_t> msg, const Vmpck& key, crypto::Aes256Gcm& aead,
                           std::span<uint8_t> payload_out) {
    WARDEN_TRY(h, parse_msg_header(msg));
    if (payload_out.size() < h.size) return Fail(Error::kOutOfRange);
    if (!tag_matches(msg, h, key, aead, payload_out)) return Fail(Error::kDenied);
    return h;
}

Result<uint64_t> MsgSequence::request_seqno() const {
    if (last_ > UINT64_MAX - 2) return Fail(Error::kOverflow);
    return last_ + 1;
}

Result<MsgHeader> open_request(std::span<const uint8_t> page, const PspMsgKeys& keys, crypto::Aes256Gcm& aead,
                               std::span<uint8_t> payload_out) {
    WARDEN_TRY(h, parse_header(page, false));
    if (h.size == 0 || h.size % kMsgBlock != 0) return Fail(Error::kInvalidArgument);
    if (payload_out.size() < h.size) return Fail(Error::kOutOfRange);
    // Opened into a scratch copy: a request the sequence or its type refuses
    // after its tag matched leaves payload_out as it was.
    std::array<uint8_t, kMsgMaxPayload> plain;
    if (!tag_matches(page, h, keys.vmpck[h.vmpck], aead, plain)) return Fail(Error::kDenied);
    Result<MsgHeader> out = h;
    if (auto expected = keys.sequence[h.vmpck].request_seqno(); !expected)
        out = Fail(expected.error());
    else if (h.seqno != *expected)
        out = Fail(Error::kBadSequence);
    else if (h.version != 1)
        out = Fail(Error::kBadVersion);
    else if (!known_type(h.type) || !is_request(h.type))
        out = Fail(Error::kUnsupported);
    else
        for (size_t i = 0; i < h.size; ++i) payload_out[i] = plain[i];
    for (volatile uint8_t& b : plain) b = 0;  // the guest's secrets
    return out;
}

Result<size_t> seal_response(const MsgHeader& request, std::span<const uint8_t> payload, PspMsgKeys& keys,
                             crypto::Aes256Gcm& aead, std::span<uint8_t> out) {
    if (request.vmpck >= kVmpckCount) return Fail(Error::kOutOfRange);
    if (!is_request(request.type)) return Fail(Error::kInvalidArgument);
    MsgSequence& sequence = keys.sequence[request.vmpck];
    WARDEN_TRY(expected, sequence.request_seqno());
    if (request.seqno != expected) return Fail(Error::kBadSequence);
    const MsgHeader h{sequence.response_seqno(), static_cast<uint8_t>(request.type + 1), request.version,
                      static_cast<uint16_t>(payload.size()), request.vmpck};
    WARDEN_TRY(n, seal_msg(h, payload, keys.vmpck[request.vmpck], aead, out));
    sequence.complete();
    return n;
}

Result<size_t> seal_request(uint8_t type, uint8_t version, uint8_t vmpck, std::span<const uint8_t> payload,
                            const Vmpck& key, const MsgSequence& sequence, crypto::Aes256Gcm& aead,
                            std::span<uint8_t> out) {
    if (!is_request(type)) return Fail(Error::kInvalidArgument);
    WARDEN_TRY(seqno, sequence.request_seqno());
    return seal_msg({seqno, type, version, static_cast<uint16_t>(payload.size()), vmpck}, payload, key, aead, out);
}

Result<MsgHeader> open_response(std::span<const uint8_t> page, const MsgHeader& request, const Vmpck& key,
                                MsgSequence& sequence, crypto::Aes256Gcm& aead, std::span<uint8_t> payload_out) {
    WARDEN_TRY(h, parse_msg_header(page));
    if (h.type != request.type + 1 || h.version != request.version || h.vmpck != request.vmpck)
        return Fail(Error::kInvalidArgument);
    WARDEN_TRY(expected, sequence.request_seqno());
    if (request.seqno != expected || h.seqno != sequence.response_seqno()) return Fail(Error::kBadSequence);
    WARDEN_TRY_VOID(open_msg(page, key, aead, payload_out));
    sequence.complete();
    return h;
}

}  // namespace warden::sev
