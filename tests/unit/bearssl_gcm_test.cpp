#include "warden/crypto/bearssl_gcm.hpp"

#include <doctest/doctest.h>

#include <array>
#include <random>

#include "gcm_vectors.hpp"

using namespace warden::crypto;
using test_gcm::Bytes;
using test_gcm::unhex;

namespace {

// The AES-256 cases with a 96-bit IV of "The Galois/Counter Mode of
// Operation (GCM)", McGrew and Viega (revised), appendix B, test cases 13-16
// (the vectors NIST's GCM page and SP 800-38D's validation point to). Typed
// in from the document.
struct Vector {
    const char* name;
    const char *key, *iv, *plain, *aad, *cipher, *tag;
};
constexpr const char* kKey0 = "0000000000000000000000000000000000000000000000000000000000000000";
constexpr const char* kKeyF = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr Vector kVectors[] = {
    {"test case 13", kKey0, "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"test case 14", kKey0, "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"test case 15", kKeyF, "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"test case 16", kKeyF, "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

Aes256Key key_of(const Bytes& b) { return std::span<const uint8_t, kAes256KeySize>(b.data(), kAes256KeySize); }
GcmIv iv_of(const Bytes& b) { return std::span<const uint8_t, kGcmIvSize>(b.data(), kGcmIvSize); }

}  // namespace

TEST_CASE("bearssl_gcm: the GCM specification's AES-256 vectors seal and open") {
    BearSslAes256Gcm gcm;
    for (const Vector& v : kVectors) {
        CAPTURE(v.name);
        const Bytes key = unhex(v.key), iv = unhex(v.iv), plain = unhex(v.plain), aad = unhex(v.aad);
        const Bytes cipher = unhex(v.cipher), tag = unhex(v.tag);
        Bytes data = plain;
        std::array<uint8_t, kGcmTagSize> got_tag{};
        gcm.seal(key_of(key), iv_of(iv), aad, data, got_tag);
        CHECK(data == cipher);
        CHECK(Bytes(got_tag.begin(), got_tag.end()) == tag);

        Bytes out(cipher.size(), 0xaa);
        REQUIRE(
            gcm.open(key_of(key), iv_of(iv), aad, cipher, std::span<const uint8_t, kGcmTagSize>(tag.data(), 16), out));
        CHECK(out == plain);
    }
}

TEST_CASE("bearssl_gcm: a changed tag, ciphertext, AAD, IV or key is refused and nothing is written") {
    BearSslAes256Gcm gcm;
    const Vector& v = kVectors[3];
    const Bytes key = unhex(v.key), iv = unhex(v.iv), aad = unhex(v.aad), cipher = unhex(v.cipher), tag = unhex(v.tag);
    auto refused = [&](const Bytes& k, const Bytes& i, const Bytes& a, const Bytes& c, const Bytes& t) {
        Bytes out(c.size(), 0xaa);
        const bool ok = gcm.open(key_of(k), iv_of(i), a, c, std::span<const uint8_t, kGcmTagSize>(t.data(), 16), out);
        return !ok && out == Bytes(c.size(), 0xaa);
    };
    auto flip = [](Bytes b, size_t at) {
        b[at] ^= 1;
        return b;
    };
    CHECK(refused(key, iv, aad, cipher, flip(tag, 0)));
    CHECK(refused(key, iv, aad, cipher, flip(tag, 15)));
    CHECK(refused(key, iv, aad, flip(cipher, 59), tag));
    CHECK(refused(key, iv, flip(aad, 0), cipher, tag));
    CHECK(refused(key, flip(iv, 11), aad, cipher, tag));
    CHECK(refused(flip(key, 31), iv, aad, cipher, tag));
    Bytes longer(cipher.size() + 1);
    CHECK_FALSE(
        gcm.open(key_of(key), iv_of(iv), aad, cipher, std::span<const uint8_t, kGcmTagSize>(tag.data(), 16), longer));
}

TEST_CASE("bearssl_gcm: agrees with OpenSSL on random keys, IVs, AAD and lengths up to a page") {
    BearSslAes256Gcm gcm;
    std::mt19937 rng(19);
    auto random_bytes = [&](size_t n) {
        Bytes b(n);
        for (auto& x : b) x = static_cast<uint8_t>(rng());
        return b;
    };
    for (size_t len : {size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{255}, size_t{256}, size_t{257},
                       size_t{1000}, size_t{4000}, size_t{4096}}) {
        CAPTURE(len);
        const Bytes key = random_bytes(32), iv = random_bytes(12), aad = random_bytes(48), plain = random_bytes(len);
        const Bytes want = test_gcm::openssl_seal(key, iv, aad, plain);
        Bytes data = plain;
        std::array<uint8_t, kGcmTagSize> tag{};
        gcm.seal(key_of(key), iv_of(iv), aad, data, tag);
        CHECK(Bytes(want.begin(), want.begin() + static_cast<ptrdiff_t>(len)) == data);
        CHECK(Bytes(want.end() - 16, want.end()) == Bytes(tag.begin(), tag.end()));
        Bytes out(len);
        REQUIRE(gcm.open(key_of(key), iv_of(iv), aad, data, tag, out));
        CHECK(out == plain);
    }
}
