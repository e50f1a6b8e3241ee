// The SNP guest message (SEV-SNP Firmware ABI 56860, "Guest Messages";
// Linux struct snp_guest_msg; SPEC-FACTS.md 7b): the header, AES-256-GCM
// under the VMPCK the header names, and the sequence numbers that refuse a
// replay. Both ends use it: the PSP (the emulated host) opens requests and
// seals responses, a guest (Warden's attestation service) the reverse.
#pragma once

#include <array>
#include <span>

#include "warden/crypto/aes_gcm.hpp"
#include "warden/result.hpp"
#include "warden/sev/secrets.hpp"

namespace warden::sev {

// Message header (56860 "Message Header Format"), little-endian.
inline constexpr size_t kMsgPageSize = 4096;  // request and response are one page each
inline constexpr size_t kMsgHeaderSize = 0x60;
inline constexpr size_t kMsgMaxPayload = kMsgPageSize - kMsgHeaderSize;              // 4000
inline constexpr size_t kMsgAuthTag = 0x00, kMsgAuthTagSize = 32;                    // GCM uses the first 16
inline constexpr size_t kMsgSeqno = 0x20;                                            // u64
inline constexpr size_t kMsgAlgo = 0x30, kMsgHdrVersion = 0x31, kMsgHdrSize = 0x32;  // u8, u8, u16
inline constexpr size_t kMsgType = 0x34, kMsgVersion = 0x35, kMsgSize = 0x36;        // u8, u8, u16
inline constexpr size_t kMsgVmpck = 0x3c;                                            // u8
// Authenticated data: the header from ALGO to its end. The tag and the
// sequence number lie outside it; the sequence number is the IV's first 8
// bytes (the last 4 are zero), so a changed one fails the tag all the same.
inline constexpr size_t kMsgAad = 0x30, kMsgAadSize = kMsgHeaderSize - kMsgAad;  // 48
inline constexpr size_t kMsgBlock = 16;  // the PSP takes payloads of whole AES blocks only

inline constexpr uint8_t kMsgAlgoAes256Gcm = 1;  // 0 is invalid; no other is defined
inline constexpr uint8_t kMsgHeaderVersion = 1;

// Message types (56860 "Message Type Encodings"; Linux enum msg_type): a
// response is its request's type + 1. 0 is invalid; above kMsgTypeLast none
// is defined.
inline constexpr uint8_t kMsgKeyReq = 3, kMsgKeyRsp = 4;
inline constexpr uint8_t kMsgReportReq = 5, kMsgReportRsp = 6;
inline constexpr uint8_t kMsgTypeLast = 18;  // TSC_INFO_RSP

using Vmpck = std::array<uint8_t, kVmpckSize>;

struct MsgHeader {
    uint64_t seqno = 0;
    uint8_t type = 0, version = 0;
    uint16_t size = 0;  // payload bytes
    uint8_t vmpck = 0;  // 0..3: which VMPCK the payload is sealed under

    friend bool operator==(const MsgHeader&, const MsgHeader&) = default;
};

// The header's fields, checked for form only (the tag is open_msg's):
// kTruncated (fewer than kMsgHeaderSize bytes, or fewer than the header and
// its payload), kUnsupported (ALGO not AES-256-GCM; MSG_TYPE 0 or above
// kMsgTypeLast), kBadVersion (HDR_VERSION not 1), kInvalidArgument
// (HDR_SIZE not 0x60), kOutOfRange (MSG_SIZE above kMsgMaxPayload;
// MSG_VMPCK above 3). Reserved bytes are not checked: the ones in the
// authenticated data are the sender's to set, as in Linux.
Result<MsgHeader> parse_msg_header(std::span<const uint8_t> msg);

// Seals `payload` under `key` into `out`: header, ciphertext, tag; zeroes
// the rest of out's first kMsgPageSize bytes. Returns the message's length.
// h.size must equal payload.size(). Errors (nothing written):
// kInvalidArgument (size mismatch; type 0 or above kMsgTypeLast),
// kOutOfRange (payload above kMsgMaxPayload; vmpck above 3), kTruncated
// (out shorter than kMsgPageSize).
Result<size_t> seal_msg(const MsgHeader& h, std::span<const uint8_t> payload, const Vmpck& key, crypto::Aes256Gcm& aead,
                        std::span<uint8_t> out);

// Checks the header (parse_msg_header) and the tag under `key`, then
// writes the plaintext to the start of `payload_out`. Errors (nothing
// written): those of parse_msg_header, kOutOfRange (payload_out shorter
// than MSG_SIZE), kDenied (the tag does not match).
Result<MsgHeader> open_msg(std::span<const uint8_t> msg, const Vmpck& key, crypto::Aes256Gcm& aead,
                           std::span<uint8_t> payload_out);

// The sequence numbers of one VMPCK, the same rule at both ends: a request
// carries last + 1, its response last + 2, and a completed exchange moves
// last on by two. Anything else (an old request sent again, one skipped
// ahead) is refused. Starts at 0, as the PSP's counter does at launch; a
// guest that kept its numbers elsewhere (the secrets page's OS area) starts
// from those.
class MsgSequence {
public:
    constexpr MsgSequence() = default;
    constexpr explicit MsgSequence(uint64_t last) : last_(last) {}
    // kOverflow when the response's number would wrap: the key is spent.
    [[nodiscard]] Result<uint64_t> request_seqno() const;
    [[nodiscard]] uint64_t response_seqno() const { return last_ + 2; }
    void complete() { last_ += 2; }  // after request_seqno() succeeded
    [[nodiscard]] uint64_t last() const { return last_; }

private:
    uint64_t last_ = 0;
};

// The PSP's state for a guest's messages: its VMPCKs (from the secrets page
// it wrote at launch) and a sequence per key.
struct PspMsgKeys {
    std::array<Vmpck, kVmpckCount> vmpck{};
    std::array<MsgSequence, kVmpckCount> sequence{};
};

// The PSP's side. open_request: a request page as AMD's SEV firmware checks
// it (snp_mcmd_guest_request; docs/attestation.md), in this order: the
// header's form (parse_msg_header's errors but MSG_TYPE's; and MSG_SIZE 0
// or not a multiple of 16, the AES engine's block: kInvalidArgument), then
// the tag under the VMPCK MSG_VMPCK names (kDenied: a changed sequence
// number fails here too, as it is the IV), then the sequence number
// (kBadSequence for a replay or one skipped ahead; kOverflow once the key's
// sequence is spent), then MSG_VERSION 1 (kBadVersion) and MSG_TYPE a
// defined request (kUnsupported); the plaintext to payload_out (kOutOfRange,
// nothing read, if it is shorter than MSG_SIZE), written only when every
// check passed. Which firmware status each refusal becomes is the caller's
// mapping (snp/psp_guest_request.hpp). The sequence moves on only in
// seal_response, so a request refused there can be sent again.
// seal_response: the response to `request`
// (type + 1, same version and VMPCK, seqno + 1) into `out`; completes the
// exchange. Errors as seal_msg's, and kBadSequence when `request` is not the
// one the sequence expects.
Result<MsgHeader> open_request(std::span<const uint8_t> page, const PspMsgKeys& keys, crypto::Aes256Gcm& aead,
                               std::span<uint8_t> payload_out);
Result<size_t> seal_response(const MsgHeader& request, std::span<const uint8_t> payload, PspMsgKeys& keys,
                             crypto::Aes256Gcm& aead, std::span<uint8_t> out);

// The guest's side of the same exchange, on one VMPCK. seal_request: a
// request with the sequence's next number (errors as seal_msg's;
// kInvalidArgument for a type that is not a request's, MSG_TYPE even;
// kOverflow for a spent sequence). open_response: only the answer to
// `request` (type + 1, same version and VMPCK: kInvalidArgument else;
// seqno + 1, kBadSequence else; then the tag, kDenied); completes the
// exchange, and on any error leaves the sequence and payload_out as they were.
Result<size_t> seal_request(uint8_t type, uint8_t version, uint8_t vmpck, std::span<const uint8_t> payload,
                            const Vmpck& key, const MsgSequence& sequence, crypto::Aes256Gcm& aead,
                            std::span<uint8_t> out);
Result<MsgHeader> open_response(std::span<const uint8_t> page, const MsgHeader& request, const Vmpck& key,
                                MsgSequence& sequence, crypto::Aes256Gcm& aead, std::span<uint8_t> payload_out);

}  // namespace warden::sev
