// libFuzzer target: the SNP guest message as the PSP opens a request page
// (sev/guest_msg.hpp). Two modes, by the first byte: the input as a raw
// page, whose error must be the one the header rules predict; or a request
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

// The header rules of guest_msg.hpp, restated: the error a raw page gets
// before its tag is looked at (Error{} when only the tag is left).
Error form_error(std::span<const uint8_t> p) {
    if (p.size() < 0x60) return Error::kTruncated;
    if (p[0x30] != 1) return Error::kUnsupported;
    if (p[0x31] != 1) return Error::kBadVersion;
    if (load_le<uint16_t>(p, 0x32) != 0x60) return Error::kInvalidArgument;
    const unsigned type = p[0x34], size = load_le<uint16_t>(p, 0x36), vmpck = p[0x3c];
    if (!defined_type(type)) return Error::kUnsupported;
    if (size > 4000 || vmpck > 3) return Error::kOutOfRange;
    if (p.size() < 0x60 + size) return Error::kTruncated;
    if (type % 2 == 0) return Error::kUnsupported;
    if (load_le<uint64_t>(p, 0x20) != 1) return Error::kBadSequence;  // every key is fresh
    return Error{};
}

void raw_page(std::span<const uint8_t> page) {
    crypto::BearSslAes256Gcm gcm;
    const PspMsgKeys keys = fresh_keys();
    std::array<uint8_t, kMsgMaxPayload> out{};
    const auto h = open_request(page, keys, gcm, out);
    const Error want = form_error(page);
    if (h) {
        // Only a page sealed under one of the keys gets here (a seed can be one).
        if (want != Error{}) __builtin_trap();
        const auto parsed = parse_msg_header(page);
        if (!parsed || !(*parsed == *h)) __builtin_trap();
        return;
    }
    if (h.error() != (want == Error{} ? Error::kDenied : want)) __builtin_trap();
    for (uint8_t b : out)
        if (b != 0) __builtin_trap();  // nothing written
}

// The error one changed byte at `at` (xor `x`, not 0) earns a request of
// `size` payload bytes, in the order open_request checks.
Error flip_error(const std::array<uint8_t, kMsgPageSize>& page, size_t at, uint8_t x, size_t size) {
    if (at < 0x10) return Error::kDenied;                        // the tag
    if (at < 0x20 || (at >= 0x28 && at < 0x30)) return Error{};  // unused tag half, rsvd1
    if (at < 0x28) return Error::kBadSequence;                   // the sequence number
    if (at == 0x30) return Error::kUnsupported;
    if (at == 0x31) return Error::kBadVersion;
    if (at == 0x32 || at == 0x33) return Error::kInvalidArgument;
    if (at == 0x34) {
        const unsigned type = page[at] ^ x;
        return defined_type(type) && type % 2 == 1 ? Error::kDenied : Error::kUnsupported;
    }
    if (at == 0x36 || at == 0x37) {
        std::array<uint8_t, 2> s{page[0x36], page[0x37]};
        s[at - 0x36] ^= x;
        return load_le<uint16_t>(s, 0) > 4000 ? Error::kOutOfRange : Error::kDenied;
    }
    if (at == 0x3c) return (page[at] ^ x) > 3 ? Error::kOutOfRange : Error::kDenied;  // another key
    if (at < 0x60 + size) return Error::kDenied;  // the rest of the AAD, the ciphertext
    return Error{};                               // past the message
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
    Error want{};
    if (x != 0) {
        want = flip_error(page, at, x, payload.size());
        page[at] ^= x;
    } else if (cut < kMsgPageSize) {
        view = view.first(cut);
        if (cut < 0x60 + payload.size()) want = Error::kTruncated;
    }
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
