// Host microbenchmarks of the emulated PSP's guest request, for callgrind
// instruction counts (tools/bench_psp.py: each function under
// --toggle-collect for two iteration counts, the difference divided by the
// extra iterations). Argument: FUNCTION N. The peer is OpenSSL's ECDSA
// P-384 signature of the same hash (libcrypto, the host's).
#define OPENSSL_SUPPRESS_DEPRECATED  // EC_KEY and ECDSA_do_sign: the plain signature, no EVP layers counted
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "warden/crypto/bearssl_ecdsa.hpp"
#include "warden/crypto/bearssl_gcm.hpp"
#include "warden/snp/psp_guest_request.hpp"

using namespace warden;

namespace {

snp::PspGuest guest_context() {
    snp::PspGuest g;
    for (size_t i = 0; i < 32; ++i) g.keys.vmpck[0][i] = static_cast<uint8_t>(i);
    g.report.version = 2;
    return g;
}

// One whole exchange per iteration: the guest seals MSG_REPORT_REQ, the
// PSP opens it, builds, signs and seals the report.
[[gnu::noinline]] void bench_report_request(crypto::EcdsaP384Signer& key, int n) {
    snp::PspGuest g = guest_context();
    crypto::BearSslAes256Gcm gcm;
    static std::array<uint8_t, 4096> req, rsp;
    const auto payload = sev::encode_report_request(sev::ReportRequest{});
    for (int i = 0; i < n; ++i) {
        if (!sev::seal_request(sev::kMsgReportReq, 1, 0, payload, g.keys.vmpck[0], g.keys.sequence[0], gcm, req))
            std::abort();
        if (snp::serve_guest_request(g, gcm, key, req, rsp).status != 0) std::abort();
    }
}

// A replayed request: refused after its tag (AES-GCM over 0x60 bytes).
[[gnu::noinline]] void bench_refused_replay(crypto::EcdsaP384Signer& key, int n) {
    snp::PspGuest g = guest_context();
    crypto::BearSslAes256Gcm gcm;
    static std::array<uint8_t, 4096> req, rsp;
    const auto payload = sev::encode_report_request(sev::ReportRequest{});
    if (!sev::seal_request(sev::kMsgReportReq, 1, 0, payload, g.keys.vmpck[0], g.keys.sequence[0], gcm, req))
        std::abort();
    if (snp::serve_guest_request(g, gcm, key, req, rsp).status != 0) std::abort();
    for (int i = 0; i < n; ++i)
        if (snp::serve_guest_request(g, gcm, key, req, rsp).status != snp::kFwAeadOverflow) std::abort();
}

[[gnu::noinline]] void bench_sign_bearssl(crypto::EcdsaP384Signer& key, int n) {
    std::array<uint8_t, 48> hash{};
    for (int i = 0; i < n; ++i) {
        hash[0] = static_cast<uint8_t>(i);
        if (!key.sign(hash)) std::abort();
    }
}

[[gnu::noinline]] void bench_sign_openssl(EC_KEY* key, int n) {
    std::array<uint8_t, 48> hash{};
    for (int i = 0; i < n; ++i) {
        hash[0] = static_cast<uint8_t>(i);
        ECDSA_SIG* s = ECDSA_do_sign(hash.data(), hash.size(), key);
        if (s == nullptr) std::abort();
        ECDSA_SIG_free(s);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: psp_bench FUNCTION N\n");
        return 2;
    }
    const std::string f = argv[1];
    const int n = std::atoi(argv[2]);
    auto key = crypto::BearSslP384Key::generate(std::array<uint8_t, 48>{7});
    if (!key) return 1;
    if (f == "report_request") bench_report_request(*key, n);
    else if (f == "refused_replay") bench_refused_replay(*key, n);
    else if (f == "sign_bearssl") bench_sign_bearssl(*key, n);
    else if (f == "sign_openssl") {
        EC_KEY* k = EC_KEY_new_by_curve_name(NID_secp384r1);
        if (k == nullptr || EC_KEY_generate_key(k) != 1) return 1;
        bench_sign_openssl(k, n);
        EC_KEY_free(k);
    } else
        return 2;
    return 0;
}
