// EcdsaP384Signer on BearSSL's i31 code (constant time; RFC 6979
// deterministic nonces): the key made from a seed by HMAC-DRBG over
// SHA-384 and br_ec_keygen. The host tests link Debian's libbearssl; the
// emulated host links the same archive freestanding (docs/attestation.md).
#pragma once

#include "warden/crypto/ecdsa_p384.hpp"

namespace warden::crypto {

class BearSslP384Key final : public EcdsaP384Signer {
public:
    // At least kMinSeed bytes of entropy (the DRBG's security strength,
    // 256 bits, with SP 800-90A's nonce: 384 bits); kInvalidArgument else,
    // kUnsupported if BearSSL makes no key. The same seed, the same key.
    static constexpr size_t kMinSeed = 48;
    static Result<BearSslP384Key> generate(std::span<const uint8_t> seed);

    // Trivially copied and destroyed (Result<T> holds only such types): the
    // holder wipes a key it is done with (forget).
    void forget();

    Result<P384Signature> sign(std::span<const uint8_t, kSha384Size> hash) override;
    std::span<const uint8_t, kP384PointSize> public_key() const override { return public_; }

private:
    BearSslP384Key() = default;
    std::array<uint8_t, kP384ScalarSize> private_{};
    std::array<uint8_t, kP384PointSize> public_{};
};

}  // namespace warden::crypto
