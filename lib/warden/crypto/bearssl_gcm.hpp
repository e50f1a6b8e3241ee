// Aes256Gcm on BearSSL's constant-time portable code (aes_ct64 in CTR mode,
// ghash_ctmul64): no AES-NI, no tables indexed by secrets. The host tests
// link Debian's libbearssl; a freestanding image can link the same object
// once it provides what libbearssl.a needs (docs/attestation.md).
#pragma once

#include "warden/crypto/aes_gcm.hpp"

namespace warden::crypto {

class BearSslAes256Gcm final : public Aes256Gcm {
public:
    void seal(Aes256Key key, GcmIv iv, std::span<const uint8_t> aad, std::span<uint8_t> data,
              std::span<uint8_t, kGcmTagSize> tag) override;
    [[nodiscard]] bool open(Aes256Key key, GcmIv iv, std::span<const uint8_t> aad, std::span<const uint8_t> ciphertext,
                            std::span<const uint8_t, kGcmTagSize> tag, std::span<uint8_t> out) override;
};

}  // namespace warden::crypto
