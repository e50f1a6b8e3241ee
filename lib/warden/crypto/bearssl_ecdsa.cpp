// ECDSA P-384 on BearSSL (bearssl_ecdsa.hpp).
#include "warden/crypto/bearssl_ecdsa.hpp"

#include <bearssl.h>

namespace warden::crypto {

namespace {

void wipe(void* p, size_t n) {
    volatile auto* b = static_cast<volatile uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) b[i] = 0;
}

}  // namespace

Result<BearSslP384Key> BearSslP384Key::generate(std::span<const uint8_t> seed) {
    if (seed.size() < kMinSeed) return Fail(Error::kInvalidArgument);
    br_hmac_drbg_context drbg;
    br_hmac_drbg_init(&drbg, &br_sha384_vtable, seed.data(), seed.size());
    BearSslP384Key key;
    br_ec_private_key sk;
    const size_t made = br_ec_keygen(&drbg.vtable, &br_ec_prime_i31, &sk, key.private_.data(), BR_EC_secp384r1);
    wipe(&drbg, sizeof drbg);
    if (made != kP384ScalarSize) return Fail(Error::kUnsupported);
    if (br_ec_compute_pub(&br_ec_prime_i31, nullptr, key.public_.data(), &sk) != kP384PointSize)
        return Fail(Error::kUnsupported);
    return key;
}

void BearSslP384Key::forget() {
    wipe(private_.data(), private_.size());
    wipe(public_.data(), public_.size());
}

Result<P384Signature> BearSslP384Key::sign(std::span<const uint8_t, kSha384Size> hash) {
    const br_ec_private_key sk{BR_EC_secp384r1, private_.data(), private_.size()};
    uint8_t raw[2 * kP384ScalarSize];
    if (public_[0] != 0x04 ||
        br_ecdsa_i31_sign_raw(&br_ec_prime_i31, &br_sha384_vtable, hash.data(), &sk, raw) != sizeof raw)
        return Fail(Error::kInvalidArgument);
    P384Signature sig;
    for (size_t i = 0; i < kP384ScalarSize; ++i) {
        sig.r[i] = raw[i];
        sig.s[i] = raw[kP384ScalarSize + i];
    }
    return sig;
}

}  // namespace warden::crypto
