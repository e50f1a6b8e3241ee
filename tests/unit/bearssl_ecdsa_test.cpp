#include "warden/crypto/bearssl_ecdsa.hpp"

#include <doctest/doctest.h>
#include <openssl/sha.h>

#include <array>
#include <random>

#include "openssl_p384.hpp"

using namespace warden;
using namespace warden::crypto;

namespace {

std::array<uint8_t, 48> seed_of(uint8_t v) {
    std::array<uint8_t, 48> s{};
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(v + 7 * i);
    return s;
}

std::array<uint8_t, 48> openssl_sha384(std::span<const uint8_t> m) {
    std::array<uint8_t, 48> h{};
    SHA384(m.data(), m.size(), h.data());
    return h;
}

}  // namespace

TEST_CASE("bearssl_ecdsa: a key from a seed signs what OpenSSL verifies") {
    auto key = BearSslP384Key::generate(seed_of(1));
    REQUIRE(key.ok());
    const auto pub = key->public_key();
    CHECK(pub[0] == 0x04);  // SEC 1 uncompressed
    std::mt19937 rng(6979);
    for (int round = 0; round < 8; ++round) {
        std::array<uint8_t, 200> msg{};
        for (auto& b : msg) b = static_cast<uint8_t>(rng());
        const auto hash = openssl_sha384(msg);
        auto sig = key->sign(hash);
        REQUIRE(sig.ok());
        CHECK(test_p384::openssl_verifies(pub, hash, sig->r, sig->s));
        // Another hash, a changed r or s: OpenSSL refuses.
        auto other = hash;
        other[round] ^= 1;
        CHECK_FALSE(test_p384::openssl_verifies(pub, other, sig->r, sig->s));
        auto bad = *sig;
        bad.r[47] ^= 0x80;
        CHECK_FALSE(test_p384::openssl_verifies(pub, hash, bad.r, sig->s));
        bad = *sig;
        bad.s[0] ^= 0x01;
        CHECK_FALSE(test_p384::openssl_verifies(pub, hash, sig->r, bad.s));
    }
}

TEST_CASE("bearssl_ecdsa: the same seed makes the same key, another seed another; signatures are deterministic") {
    auto a = BearSslP384Key::generate(seed_of(1)), b = BearSslP384Key::generate(seed_of(1));
    auto c = BearSslP384Key::generate(seed_of(2));
    REQUIRE((a.ok() && b.ok() && c.ok()));
    CHECK(std::equal(a->public_key().begin(), a->public_key().end(), b->public_key().begin()));
    CHECK_FALSE(std::equal(a->public_key().begin(), a->public_key().end(), c->public_key().begin()));
    const std::array<uint8_t, 3> abc{'a', 'b', 'c'};
    const auto hash = openssl_sha384(abc);
    auto s1 = a->sign(hash), s2 = a->sign(hash);
    REQUIRE((s1.ok() && s2.ok()));
    CHECK(s1->r == s2->r);  // RFC 6979
    CHECK(s1->s == s2->s);
    auto sc = c->sign(hash);
    REQUIRE(sc.ok());
    CHECK_FALSE(test_p384::openssl_verifies(a->public_key(), hash, sc->r, sc->s));  // c's, not a's
}

TEST_CASE("bearssl_ecdsa: a seed shorter than 48 bytes is refused") {
    const auto s = seed_of(3);
    CHECK(BearSslP384Key::generate(std::span(s).first(47)).error() == Error::kInvalidArgument);
    CHECK(BearSslP384Key::generate({}).error() == Error::kInvalidArgument);
    CHECK(BearSslP384Key::generate(s).ok());
}

TEST_CASE("bearssl_ecdsa: a forgotten key signs nothing") {
    auto key = BearSslP384Key::generate(seed_of(4));
    REQUIRE(key.ok());
    key->forget();
    const std::array<uint8_t, 48> hash{};
    CHECK(key->sign(hash).error() == Error::kInvalidArgument);
    CHECK(key->public_key()[0] == 0);
}
