// ECDSA P-384 verification by OpenSSL alone: warden-report's check of a
// report's signature, and the unit tests' check of signatures Warden's code
// (BearSSL) made. Shares nothing with lib/.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cstdint>
#include <span>

namespace p384 {

enum class Verdict { kValid, kBadKey, kBadSignature };

// (r, s), big-endian, of a SHA-384 hash, under `pub`: a SEC 1 point
// (uncompressed 0x04 || X || Y).
inline Verdict verify(std::span<const uint8_t> pub, std::span<const uint8_t> hash, std::span<const uint8_t> r,
                      std::span<const uint8_t> s) {
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size());
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* from = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY* key = nullptr;
    const bool key_ok =
        from && EVP_PKEY_fromdata_init(from) == 1 && EVP_PKEY_fromdata(from, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(r.data(), static_cast<int>(r.size()), nullptr),
                   BN_bin2bn(s.data(), static_cast<int>(s.size()), nullptr));
    unsigned char* der = nullptr;
    const int der_len = i2d_ECDSA_SIG(sig, &der);
    EVP_PKEY_CTX* v = key_ok ? EVP_PKEY_CTX_new(key, nullptr) : nullptr;
    const bool valid = v && der_len > 0 && EVP_PKEY_verify_init(v) == 1 &&
                       EVP_PKEY_verify(v, der, static_cast<size_t>(der_len), hash.data(), hash.size()) == 1;
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    EVP_PKEY_CTX_free(v);
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(from);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return !key_ok ? Verdict::kBadKey : valid ? Verdict::kValid : Verdict::kBadSignature;
}

}  // namespace p384
