// OpenSSL's ECDSA P-384 verification, for tests that check a signature made
// by Warden's code (BearSSL) with a library Warden does not use to sign.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cstdint>
#include <span>
#include <vector>

namespace test_p384 {

// Whether (r, s), big-endian 48 bytes each, is a valid signature of `hash`
// (48 bytes, SHA-384) under the SEC 1 uncompressed point `pub` (97 bytes).
inline bool openssl_verifies(std::span<const uint8_t> pub, std::span<const uint8_t> hash, std::span<const uint8_t> r,
                             std::span<const uint8_t> s) {
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size());
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* from = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY* key = nullptr;
    bool ok = from && EVP_PKEY_fromdata_init(from) == 1 &&
              EVP_PKEY_fromdata(from, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
    std::vector<uint8_t> der;
    if (ok) {
        ECDSA_SIG* sig = ECDSA_SIG_new();
        ECDSA_SIG_set0(sig, BN_bin2bn(r.data(), static_cast<int>(r.size()), nullptr),
                       BN_bin2bn(s.data(), static_cast<int>(s.size()), nullptr));
        unsigned char* p = nullptr;
        const int n = i2d_ECDSA_SIG(sig, &p);
        if (n > 0) der.assign(p, p + n);
        OPENSSL_free(p);
        ECDSA_SIG_free(sig);
    }
    EVP_PKEY_CTX* vctx = key ? EVP_PKEY_CTX_new(key, nullptr) : nullptr;
    ok = ok && vctx && EVP_PKEY_verify_init(vctx) == 1 &&
         EVP_PKEY_verify(vctx, der.data(), der.size(), hash.data(), hash.size()) == 1;
    EVP_PKEY_CTX_free(vctx);
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(from);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return ok;
}

}  // namespace test_p384
