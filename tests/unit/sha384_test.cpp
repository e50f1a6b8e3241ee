#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "warden/crypto/sha384.hpp"

using namespace warden;
using namespace warden::crypto;

namespace {

std::string hex(const Sha384Digest& d) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (uint8_t b : d) s += {kHex[b >> 4], kHex[b & 15]};
    return s;
}

std::span<const uint8_t> bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

Sha384Digest openssl(std::span<const uint8_t> data) {
    Sha384Digest d{};
    unsigned len = 0;
    REQUIRE(EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha384(), nullptr) == 1);
    return d;
}

}  // namespace

TEST_CASE("sha384: FIPS 180-4 examples") {
    CHECK(hex(sha384(bytes("abc"))) ==
          "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
    CHECK(hex(sha384({})) ==
          "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b");
    CHECK(hex(sha384(bytes("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlm"
                           "nopqrsmnopqrstnopqrstu"))) ==
          "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039");
}

TEST_CASE("sha384: every length across the padding boundaries equals OpenSSL's") {
    std::vector<uint8_t> data(600);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
    for (size_t n = 0; n <= data.size(); ++n) {
        const std::span<const uint8_t> s(data.data(), n);
        CHECK(sha384(s) == openssl(s));
    }
}

TEST_CASE("sha384: update in pieces gives the one-shot digest") {
    std::vector<uint8_t> data(4096 + 37, 0x5a);
    for (size_t piece : {1u, 7u, 127u, 128u, 129u, 1000u}) {
        Sha384 s;
        for (size_t at = 0; at < data.size(); at += piece)
            s.update(std::span<const uint8_t>(data).subspan(at, std::min(piece, data.size() - at)));
        CHECK(s.finish() == openssl(data));
    }
}
