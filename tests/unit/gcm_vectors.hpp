// Hex test inputs and an independent AES-256-GCM (OpenSSL's) for the tests
// of crypto/bearssl_gcm and sev/guest_msg.
#pragma once

#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace test_gcm {

using Bytes = std::vector<uint8_t>;

inline Bytes unhex(std::string_view s) {
    auto nibble = [](char c) { return static_cast<uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); };
    Bytes b;
    for (size_t i = 0; i + 1 < s.size(); i += 2)
        b.push_back(static_cast<uint8_t>(nibble(s[i]) << 4 | nibble(s[i + 1])));
    return b;
}

// AES-256-GCM encryption by OpenSSL, 96-bit IV and 16-byte tag: ciphertext || tag.
inline Bytes openssl_seal(std::span<const uint8_t> key, std::span<const uint8_t> iv, std::span<const uint8_t> aad,
                          std::span<const uint8_t> plain) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    REQUIRE(ctx != nullptr);
    Bytes out(plain.size() + 16);
    int n = 0;
    REQUIRE(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), iv.data()) == 1);
    if (!aad.empty()) REQUIRE(EVP_EncryptUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1);
    if (!plain.empty())
        REQUIRE(EVP_EncryptUpdate(ctx, out.data(), &n, plain.data(), static_cast<int>(plain.size())) == 1);
    REQUIRE(EVP_EncryptFinal_ex(ctx, out.data() + plain.size(), &n) == 1);
    REQUIRE(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + plain.size()) == 1);
    EVP_CIPHER_CTX_free(ctx);
    return out;
}

// AES-256-GCM decryption by OpenSSL (96-bit IV, 16-byte tag); false when
// the tag does not hold.
inline bool openssl_open(std::span<const uint8_t> key, std::span<const uint8_t> iv, std::span<const uint8_t> aad,
                         std::span<const uint8_t> cipher, std::span<const uint8_t> tag, Bytes& plain) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    REQUIRE(ctx != nullptr);
    plain.assign(cipher.size(), 0);
    int n = 0;
    bool ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), iv.data()) == 1;
    if (ok && !aad.empty()) ok = EVP_DecryptUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1;
    if (ok && !cipher.empty())
        ok = EVP_DecryptUpdate(ctx, plain.data(), &n, cipher.data(), static_cast<int>(cipher.size())) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, const_cast<uint8_t*>(tag.data())) == 1;
    ok = ok && EVP_DecryptFinal_ex(ctx, plain.data() + plain.size(), &n) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

}  // namespace test_gcm
