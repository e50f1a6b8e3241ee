// AES-256-GCM (NIST SP 800-38D) as an interface: the guest message layer
// (sev/guest_msg.hpp) seals and opens through it, and each image supplies
// its own implementation (the host tests: BearSSL, bearssl_gcm.hpp; later
// the emulated PSP and Warden's attestation service, freestanding).
#pragma once

#include <span>

#include "warden/types.hpp"

namespace warden::crypto {

inline constexpr size_t kAes256KeySize = 32;
inline constexpr size_t kGcmIvSize = 12;   // 96-bit IV: J0 = IV || 0^31 || 1 (SP 800-38D 7.1)
inline constexpr size_t kGcmTagSize = 16;  // the full 128-bit tag

using Aes256Key = std::span<const uint8_t, kAes256KeySize>;
using GcmIv = std::span<const uint8_t, kGcmIvSize>;

class Aes256Gcm {
public:
    // Encrypts `data` in place and writes the tag over (aad, ciphertext).
    virtual void seal(Aes256Key key, GcmIv iv, std::span<const uint8_t> aad, std::span<uint8_t> data,
                      std::span<uint8_t, kGcmTagSize> tag) = 0;
    // Checks `tag` over (aad, ciphertext) and, only when it matches, writes
    // the plaintext to `out` (ciphertext.size() bytes). False: the tag does
    // not match, or `out` has another size; `out` is then left untouched.
    [[nodiscard]] virtual bool open(Aes256Key key, GcmIv iv, std::span<const uint8_t> aad,
                                    std::span<const uint8_t> ciphertext, std::span<const uint8_t, kGcmTagSize> tag,
                                    std::span<uint8_t> out) = 0;

protected:
    ~Aes256Gcm() = default;
};

}  // namespace warden::crypto
