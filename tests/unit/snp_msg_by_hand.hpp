// SNP guest messages built and opened by hand: the layout typed from
// SPEC-FACTS.md 7b rather than from sev/guest_msg.hpp, the crypto by
// OpenSSL. The independent side of the guest_msg and PSP tests.
#pragma once

#include <array>

#include "byte_builder.hpp"
#include "gcm_vectors.hpp"

namespace test_snp_msg {

using test_bytes::put_le;
using test_gcm::Bytes;

inline uint64_t get_le(std::span<const uint8_t> b, size_t at, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{b[at + i]} << (8 * i);
    return v;
}

inline Bytes iv_of(uint64_t seqno) {
    Bytes iv(12);
    put_le(iv, 0, seqno, 8);
    return iv;
}

// A message page: header, payload sealed by OpenSSL under `key`.
inline Bytes hand_built(std::span<const uint8_t> key, uint64_t seqno, uint8_t type, uint8_t version, uint8_t vmpck,
                        const Bytes& payload) {
    Bytes page(4096);
    put_le(page, 0x20, seqno, 8);
    page[0x30] = 1;  // AES-256-GCM
    page[0x31] = 1;  // header version
    put_le(page, 0x32, 0x60, 2);
    page[0x34] = type;
    page[0x35] = version;
    put_le(page, 0x36, payload.size(), 2);
    page[0x3c] = vmpck;
    const Bytes aad(page.begin() + 0x30, page.begin() + 0x60);
    const Bytes sealed = test_gcm::openssl_seal(key, iv_of(seqno), aad, payload);
    for (size_t i = 0; i < payload.size(); ++i) page[0x60 + i] = sealed[i];
    for (size_t i = 0; i < 16; ++i) page[i] = sealed[payload.size() + i];
    return page;
}

struct Opened {
    bool ok = false;
    uint64_t seqno = 0;
    uint8_t type = 0, version = 0, vmpck = 0;
    Bytes payload;
};

// A message page opened by OpenSSL under `key`.
inline Opened open_by_hand(std::span<const uint8_t> key, std::span<const uint8_t> page) {
    Opened o;
    o.seqno = get_le(page, 0x20, 8);
    o.type = page[0x34];
    o.version = page[0x35];
    o.vmpck = page[0x3c];
    const size_t size = get_le(page, 0x36, 2);
    if (page[0x30] != 1 || page[0x31] != 1 || get_le(page, 0x32, 2) != 0x60 || 0x60 + size > page.size()) return o;
    o.ok = test_gcm::openssl_open(key, iv_of(o.seqno), page.subspan(0x30, 0x30), page.subspan(0x60, size),
                                  page.first(16), o.payload);
    return o;
}

}  // namespace test_snp_msg
