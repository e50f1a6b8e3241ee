// libFuzzer target: the SNP guest message as the PSP opens a request page
// (sev/guest_msg.hpp). Two modes, by the first byte: the input as a raw
// page, whose error must be the one the PSP's rules predict; or a request
// sealed from the input's fields and payload, then one byte changed or the
// page cut short, whose outcome must be predicted exactly (opened with the
// payload intact, or refused with the error for that byte).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/bytes.hpp"
#include "warden/crypto/bearssl_gcm.hpp"
#include "warden/sev/guest_msg.hpp"

using namespace warden;
using namespace warden::sev;

namespace {

PspMsgKeys fresh_keys() {
    PspMsgKeys keys;
    for (size_t k = 0; k < kVmpckCount; ++k)
        for (size_t i = 0; i < kVmpckSize; ++i) keys.vmpck[k][i] = static_cast<uint8_t>(0x11 * (k + 1) + i);
    return keys;
}

bool defined_type(unsigned t) { return t != 0 && t <= kMsgTypeLast; }

// The PSP's rules (AMD's SEV firmware, docs/attestation.md), restated: the
// error a request page gets, given whether its tag holds under the key its
// header names. Error{}: opened.
Error predict(std::span<const uint8_t> p, bool authentic) {
    if (p.size() < 0x60) return Error::kTruncated;
    if (p[0x30] != 1) return Error::kUnsupported;
    if (p[0x31] != 1) return Error::kBadVersion;
    if (load_le<uint16_t>(p, 0x32) != 0x60) return Error::kInvalidArgument;
    const unsigned type = p[0x34], version = p[0x35], size = load_le<uint16_t>(p, 0x36), vmpck = p[0x3c];
    if (size > 4000 || vmpck > 3) return Error::kOutOfRange;
    if (p.size() < 0x60 + size) return Error::kTruncated;
    if (size == 0 || size % 16 != 0) return Error::kInvalidArgument;
    if (!authentic) return Error::kDenied;
    if (load_le<uint64_t>(p, 0x20) != 1) return Error::kBadSequence;  // every key is fresh
    if (version != 1) return Error::kBadVersion;
    if (!defined_type(type) || type % 2 == 0) return Error::kUnsupported;
    return Error{};
}

// Whether the tag holds, by BearSSL directly (IV: the sequence number, then
// four zero bytes; AAD 0x30..0x5f).
bool authentic(std::span<const uint8_t> p, const PspMsgKeys& keys) {
    if (p.size() < 0x60 || p[0x3c] > 3) return false;
    const size_t size = load_le<uint16_t>(p, 0x36);
    if (size > 4000 || p.size() < 0x60 + size) return false;
    std::array<uint8_t, 12> iv{};
    for (size_t i = 0; i < 8; ++i) iv[i] = p[0x20 + i];
    std::array<uint8_t, kMsgMaxPayload> scratch{};
    crypto::BearSslAes256Gcm gcm;
    return gcm.open(keys.vmpck[p[0x3c]], iv, p.subspan(0x30, 0x30), p.subspan(0x60, size),
                    p.subspan<0, crypto::kGcmTagSize>(), std::span(scratch).first(size));
}

void raw_page(std::span<const uint8_t> page) {
    crypto::BearSslAes256Gcm gcm;
    const PspMsgKeys keys = fresh_keys();
    std::array<uint8_t, kMsgMaxPayload> out{};
    const auto h = open_request(page, keys, gcm, out);
    const Error want = predict(page, authentic(page, keys));
    if (h) {
        // Only a page sealed under one of the keys gets here (a seed can be one).
        if (want != Error{}) __builtin_trap();
        const auto parsed = parse_msg_header(page);
        if (!parsed || !(*parsed == *h)) __builtin_trap();
        return;
    }
    if (h.error() != want) __builtin_trap();
    for (uint8_t b : out)
        if (b != 0) __builtin_trap();  // nothing written
}

// Whether a byte changed at `at` leaves the tag holding: only the tag's
// unused half, bytes 0x28..0x2f (neither AAD nor IV) and bytes past the
// message are outside what the tag covers.
bool outside_the_tag(size_t at, size_t size) {
    return (at >= 0x10 && at < 0x20) || (at >= 0x28 && at < 0x30) || at >= 0x60 + size;
}

void sealed_then_changed(std::span<const uint8_t> in) {
    constexpr size_t kFields = 8;  // type, version, vmpck, at u16, xor, cut u16
    if (in.size() < kFields) return;
    const uint8_t type = in[0], version = in[1], vmpck = in[2];
    const size_t at = load_le<uint16_t>(in, 3) % kMsgPageSize;
    const uint8_t x = in[5];
    const size_t cut = load_le<uint16_t>(in, 6);
    const auto payload = in.subspan(kFields);

    crypto::BearSslAes256Gcm gcm;
    PspMsgKeys keys = fresh_keys();
    std::array<uint8_t, kMsgPageSize> page{};
    const auto sealed = seal_request(type, version, vmpck, payload, keys.vmpck[vmpck % kVmpckCount],
                                     keys.sequence[vmpck % kVmpckCount], gcm, page);
    Error seal_want{};
    if (type % 2 == 0)
        seal_want = Error::kInvalidArgument;
    else if (payload.size() > kMsgMaxPayload || vmpck > 3)
        seal_want = Error::kOutOfRange;
    else if (!defined_type(type))
        seal_want = Error::kInvalidArgument;
    if (!sealed) {
        if (sealed.error() != seal_want) __builtin_trap();
        for (uint8_t b : page)
            if (b != 0) __builtin_trap();
        return;
    }
    if (seal_want != Error{} || *sealed != 0x60 + payload.size()) __builtin_trap();

    std::span<const uint8_t> view(page);
    bool intact = true;
    if (x != 0) {
        intact = outside_the_tag(at, payload.size());
        page[at] ^= x;
    } else if (cut < kMsgPageSize) {
        view = view.first(cut);
    }
    const Error want = predict(view, intact);
    std::array<uint8_t, kMsgMaxPayload> out{};
    const auto h = open_request(view, keys, gcm, out);
    if (want != Error{}) {
        if (h || h.error() != want) __builtin_trap();
        for (uint8_t b : out)
            if (b != 0) __builtin_trap();
        return;
    }
    if (!h || h->seqno != 1 || h->type != type || h->version != version || h->vmpck != vmpck ||
        h->size != payload.size())
        __builtin_trap();
    for (size_t i = 0; i < payload.size(); ++i)
        if (out[i] != payload[i]) __builtin_trap();
    // Answered, the same page is a replay.
    std::array<uint8_t, kMsgPageSize> response{};
    if (!seal_response(*h, {}, keys, gcm, response)) __builtin_trap();
    if (open_request(view, keys, gcm, out).error() != Error::kBadSequence) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::span<const uint8_t> in(data + 1, size - 1);
    if (data[0] & 1)
        sealed_then_changed(in);
    else
        raw_page(in);
    return 0;
}
