// AES-256-GCM on BearSSL (bearssl_gcm.hpp).
#include "warden/crypto/bearssl_gcm.hpp"

#include <bearssl.h>

#include <algorithm>
#include <array>

namespace warden::crypto {

namespace {

// One GCM computation: the CTR key schedule and the GCM state it points at.
// BearSSL's contexts hold no pointers to outside memory but each other.
struct Gcm {
    br_aes_ct64_ctr_keys ctr{};
    br_gcm_context gcm{};

    Gcm(Aes256Key key, GcmIv iv, std::span<const uint8_t> aad) {
        br_aes_ct64_ctr_init(&ctr, key.data(), key.size());
        br_gcm_init(&gcm, &ctr.vtable, br_ghash_ctmul64);
        br_gcm_reset(&gcm, iv.data(), iv.size());
        br_gcm_aad_inject(&gcm, aad.data(), aad.size());
        br_gcm_flip(&gcm);
    }
    Gcm(const Gcm&) = delete;
    Gcm& operator=(const Gcm&) = delete;
    // The round keys and the hash key are secrets.
    ~Gcm() {
        volatile auto* p = reinterpret_cast<volatile uint8_t*>(this);
        for (size_t i = 0; i < sizeof(*this); ++i) p[i] = 0;
    }
};

}  // namespace

void BearSslAes256Gcm::seal(Aes256Key key, GcmIv iv, std::span<const uint8_t> aad, std::span<uint8_t> data,
                            std::span<uint8_t, kGcmTagSize> tag) {
    Gcm g(key, iv, aad);
    br_gcm_run(&g.gcm, 1, data.data(), data.size());
    br_gcm_get_tag(&g.gcm, tag.data());
}

bool BearSslAes256Gcm::open(Aes256Key key, GcmIv iv, std::span<const uint8_t> aad, std::span<const uint8_t> ciphertext,
                            std::span<const uint8_t, kGcmTagSize> tag, std::span<uint8_t> out) {
    if (out.size() != ciphertext.size()) return false;
    // First pass: the tag alone. br_gcm_run hashes the ciphertext as it
    // decrypts, so it decrypts into a small scratch block that is wiped; the
    // caller's buffer sees plaintext only from a message that authenticated.
    {
        Gcm g(key, iv, aad);
        std::array<uint8_t, 256> scratch{};
        for (size_t at = 0; at < ciphertext.size(); at += scratch.size()) {
            const size_t n = std::min(scratch.size(), ciphertext.size() - at);
            std::copy_n(ciphertext.begin() + static_cast<ptrdiff_t>(at), n, scratch.begin());
            br_gcm_run(&g.gcm, 0, scratch.data(), n);
        }
        std::fill(scratch.begin(), scratch.end(), uint8_t{0});
        if (br_gcm_check_tag(&g.gcm, tag.data()) != 1) return false;
    }
    Gcm g(key, iv, aad);
    std::copy(ciphertext.begin(), ciphertext.end(), out.begin());
    br_gcm_run(&g.gcm, 0, out.data(), out.size());
    return true;
}

}  // namespace warden::crypto
