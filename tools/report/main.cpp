// warden-report: reads an SNP ATTESTATION_REPORT (0x4A0 bytes, SNP Firmware
// ABI 56860; offsets from SPEC-FACTS.md 7b) and checks it with OpenSSL:
//   warden-report show REPORT
//   warden-report verify REPORT (--public-key HEX | --certificate DER)
//                 [--measurement HEX] [--report-data HEX] [--vmpl N]
// The public key is the chip key's SEC 1 uncompressed P-384 point (the
// emulated host prints it: "PSP: this boot's chip key ..."), or taken from
// the chip key's certificate, which the host prints too (self-signed: its
// signature is checked, no chain; both given, they must agree). The signature
// (r, s little-endian, 72 bytes each at 0x2A0 and 0x2E8) must verify over
// SHA-384 of bytes 0x000..0x29F. Exit 0 when every check holds, 1 when one
// fails (each said on a line), 2 for bad usage.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "p384_verify.hpp"

namespace {

using Bytes = std::vector<uint8_t>;

constexpr size_t kSize = 0x4a0, kSigned = 0x2a0, kR = 0x2a0, kS = 0x2e8, kComponent = 72, kScalar = 48;
constexpr size_t kVersion = 0x000, kPolicy = 0x008, kVmpl = 0x030, kSigAlgo = 0x034, kFlags = 0x048;
constexpr size_t kReportData = 0x050, kMeasurement = 0x090, kChipId = 0x1a0;

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: warden-report show REPORT\n"
                 "       warden-report verify REPORT (--public-key HEX | --certificate DER) [--measurement HEX] "
                 "[--report-data HEX] "
                 "[--vmpl N]\n");
    std::exit(2);
}

std::optional<Bytes> unhex(const std::string& s) {
    if (s.size() % 2 != 0) return std::nullopt;
    Bytes b;
    for (size_t i = 0; i < s.size(); i += 2) {
        unsigned v = 0;
        if (std::sscanf(s.c_str() + i, "%2x", &v) != 1 || !std::isxdigit(s[i]) || !std::isxdigit(s[i + 1]))
            return std::nullopt;
        b.push_back(static_cast<uint8_t>(v));
    }
    return b;
}

std::string hex(const uint8_t* p, size_t n) {
    std::string s;
    char t[3];
    for (size_t i = 0; i < n; ++i) std::snprintf(t, sizeof t, "%02x", p[i]), s += t;
    return s;
}

uint64_t le(const Bytes& b, size_t at, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{b[at + i]} << (8 * i);
    return v;
}

bool verify_signature(const Bytes& report, const Bytes& pub, std::string& why) {
    uint8_t hash[SHA384_DIGEST_LENGTH];
    SHA384(report.data(), kSigned, hash);
    uint8_t r[kScalar], s[kScalar];
    for (size_t i = 0; i < kScalar; ++i) r[kScalar - 1 - i] = report[kR + i], s[kScalar - 1 - i] = report[kS + i];
    for (size_t i = kScalar; i < kComponent; ++i) {
        if (report[kR + i] != 0 || report[kS + i] != 0) {
            why = "the signature's r or s has bytes past 48 set";
            return false;
        }
    }
    switch (p384::verify(pub, std::span<const uint8_t>(hash, sizeof hash), r, s)) {
    case p384::Verdict::kValid: return true;
    case p384::Verdict::kBadKey: why = "the public key is not a P-384 point"; return false;
    case p384::Verdict::kBadSignature:
        why = "ECDSA P-384 over SHA-384 of bytes 0x000..0x29f does not verify under the key";
        return false;
    }
    return false;
}

int show(const Bytes& r) {
    std::printf("version %llu\npolicy %#llx\nvmpl %llu\nsignature_algo %llu\nflags %#llx\n",
                static_cast<unsigned long long>(le(r, kVersion, 4)), static_cast<unsigned long long>(le(r, kPolicy, 8)),
                static_cast<unsigned long long>(le(r, kVmpl, 4)), static_cast<unsigned long long>(le(r, kSigAlgo, 4)),
                static_cast<unsigned long long>(le(r, kFlags, 4)));
    std::printf("report_data %s\nmeasurement %s\nchip_id %s\n", hex(&r[kReportData], 64).c_str(),
                hex(&r[kMeasurement], 48).c_str(), hex(&r[kChipId], 64).c_str());
    return 0;
}

}  // namespace

// The chip key from the host's certificate (DER): OpenSSL parses it and
// checks its self-signature (the emulated chip key has no ARK/ASK chain);
// the SEC 1 point, or nothing with why.
std::optional<Bytes> key_from_certificate(const std::string& path, std::string& why) {
    std::ifstream in(path, std::ios::binary);
    const Bytes der((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const unsigned char* p = der.data();
    X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    if (cert == nullptr || p != der.data() + der.size()) {
        why = "the certificate does not parse as one DER X.509 certificate";
        X509_free(cert);
        return std::nullopt;
    }
    EVP_PKEY* pub = X509_get0_pubkey(cert);
    unsigned char point[200];
    size_t len = 0;
    std::optional<Bytes> out;
    if (pub == nullptr || X509_get_signature_nid(cert) != NID_ecdsa_with_SHA384 || EVP_PKEY_get_bits(pub) != 384 ||
        EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len) != 1)
        why = "the certificate does not hold a P-384 key signed with ECDSA-SHA384";
    else if (X509_verify(cert, pub) != 1)
        why = "the certificate's self-signature does not verify";
    else
        out = Bytes(point, point + len);
    X509_free(cert);
    return out;
}

int main(int argc, char** argv) {
    if (argc < 3) usage();
    const std::string cmd = argv[1];
    std::ifstream in(argv[2], std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "warden-report: cannot read %s\n", argv[2]);
        return 2;
    }
    const Bytes report((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (report.size() != kSize) {
        std::fprintf(stderr, "warden-report: %s has %zu bytes; a report has %zu\n", argv[2], report.size(), kSize);
        return 1;
    }
    if (cmd == "show") return show(report);
    if (cmd != "verify") usage();
    std::optional<Bytes> pub, measurement, report_data, cert_key;
    std::optional<uint64_t> vmpl;
    std::string cert_why;
    bool cert_given = false;
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string opt = argv[i], val = argv[i + 1];
        if (opt == "--public-key")
            pub = unhex(val);
        else if (opt == "--certificate")
            cert_given = true, cert_key = key_from_certificate(val, cert_why);
        else if (opt == "--measurement")
            measurement = unhex(val);
        else if (opt == "--report-data")
            report_data = unhex(val);
        else if (opt == "--vmpl")
            vmpl = std::stoull(val);
        else
            usage();
        if ((opt == "--public-key" && !pub) ||
            (opt == "--measurement" && (!measurement || measurement->size() != 48)) ||
            (opt == "--report-data" && (!report_data || report_data->size() != 64))) {
            std::fprintf(stderr, "warden-report: %s: not %s\n", opt.c_str(),
                         opt == "--public-key"    ? "hex"
                         : opt == "--measurement" ? "48 bytes of hex"
                                                  : "64 bytes of hex");
            return 2;
        }
    }
    if ((!pub && !cert_given) || (argc - 3) % 2 != 0) usage();
    int failed = 0;
    auto check = [&](bool ok, const std::string& what) {
        std::printf("%s: %s\n", ok ? "ok" : "FAIL", what.c_str());
        failed += !ok;
    };
    if (cert_given) {
        check(cert_key.has_value(), cert_key ? "the certificate parses and its self-signature verifies" : cert_why);
        if (!cert_key) {
            std::printf("warden-report: %d check(s) failed\n", failed);
            return 1;
        }
        if (pub) check(*pub == *cert_key, "the certificate's key is the --public-key");
        pub = cert_key;
    }
    check(le(report, kVersion, 4) == 2, "version " + std::to_string(le(report, kVersion, 4)) + " (2 expected)");
    check(le(report, kSigAlgo, 4) == 1, "signature_algo 1 (ECDSA P-384 with SHA-384)");
    std::string why;
    const bool signed_ok = verify_signature(report, *pub, why);
    check(signed_ok, signed_ok ? "the signature verifies under the chip key" : why);
    if (measurement) {
        const bool same = std::memcmp(&report[kMeasurement], measurement->data(), 48) == 0;
        check(same, "MEASUREMENT " + hex(&report[kMeasurement], 48) +
                        (same ? " as expected" : " is not " + hex(measurement->data(), 48)));
    }
    if (report_data) check(std::memcmp(&report[kReportData], report_data->data(), 64) == 0, "REPORT_DATA as expected");
    if (vmpl) check(le(report, kVmpl, 4) == *vmpl, "VMPL " + std::to_string(le(report, kVmpl, 4)));
    std::printf(failed ? "warden-report: %d check(s) failed\n" : "warden-report: the report verifies\n", failed);
    return failed ? 1 : 0;
}
