// The emulated PSP's chip-key certificate (lib/warden/snp/chip_cert.hpp),
// parsed and verified by OpenSSL, which Warden's encoder shares nothing with.
#include <doctest/doctest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "warden/crypto/bearssl_ecdsa.hpp"
#include "warden/snp/chip_cert.hpp"

using namespace warden;

namespace {

struct Cert {
    X509* x = nullptr;
    explicit Cert(std::span<const uint8_t> der) {
        const unsigned char* p = der.data();
        x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
        if (x != nullptr && p != der.data() + der.size()) {  // trailing bytes: not one certificate
            X509_free(x);
            x = nullptr;
        }
    }
    ~Cert() { X509_free(x); }
};

}  // namespace

TEST_CASE("chip cert: OpenSSL parses it, its key is the chip key, it verifies under itself") {
    std::vector<uint8_t> seed(64, 0x5b);
    auto key = crypto::BearSslP384Key::generate(seed);
    REQUIRE(key.ok());
    const uint8_t serial[8] = {0xf1, 2, 3, 4, 5, 6, 7, 8};
    std::vector<uint8_t> der(snp::kChipCertMax);
    auto n = snp::build_chip_cert(*key, serial, der);
    REQUIRE(n.ok());
    der.resize(*n);
    Cert c(der);
    REQUIRE(c.x != nullptr);
    CHECK(X509_get_version(c.x) == 2);  // v3
    CHECK(X509_get_signature_nid(c.x) == NID_ecdsa_with_SHA384);
    EVP_PKEY* pub = X509_get0_pubkey(c.x);
    REQUIRE(pub != nullptr);
    CHECK(EVP_PKEY_get_bits(pub) == 384);
    unsigned char point[200];
    size_t point_len = 0;
    REQUIRE(EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &point_len) == 1);
    const auto mine = key->public_key();
    CHECK(std::vector<uint8_t>(point, point + point_len) == std::vector<uint8_t>(mine.begin(), mine.end()));
    CHECK(X509_verify(c.x, pub) == 1);
    char cn[128] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(c.x), NID_commonName, cn, sizeof cn);
    CHECK(std::string(cn) == "Warden emulated SNP chip key");
    CHECK(X509_check_issued(c.x, c.x) == X509_V_OK);  // self-issued
    const ASN1_INTEGER* s = X509_get0_serialNumber(c.x);
    CHECK(ASN1_INTEGER_get(s) == 0x7102030405060708);  // made positive
    // One byte of the signature changed: OpenSSL refuses it.
    std::vector<uint8_t> bad = der;
    bad[bad.size() - 5] ^= 1;
    Cert b(bad);
    REQUIRE(b.x != nullptr);
    CHECK(X509_verify(b.x, X509_get0_pubkey(b.x)) != 1);
}

TEST_CASE("chip cert: a short buffer is refused") {
    std::vector<uint8_t> seed(64, 0x11);
    auto key = crypto::BearSslP384Key::generate(seed);
    REQUIRE(key.ok());
    const uint8_t serial[8] = {};
    std::vector<uint8_t> small(100);
    CHECK(snp::build_chip_cert(*key, serial, small).error() == Error::kOverflow);
}
