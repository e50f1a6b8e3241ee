// The chip-key certificate (chip_cert.hpp), DER-encoded (X.690).
#include "warden/snp/chip_cert.hpp"

#include <string_view>

namespace warden::snp {
namespace {

// A growing DER buffer: each constructed value is written as its contents
// first, then wrapped with its tag and length.
class Der {
public:
    explicit Der(std::span<uint8_t> out) : out_(out) {}
    bool ok() const { return ok_; }
    size_t size() const { return n_; }
    std::span<const uint8_t> bytes() const { return out_.first(n_); }
    void byte(uint8_t b) {
        if (n_ >= out_.size()) {
            ok_ = false;
            return;
        }
        out_[n_++] = b;
    }
    void raw(std::span<const uint8_t> b) {
        for (uint8_t x : b) byte(x);
    }
    // Opens a value; close() moves its contents right by the header's size.
    size_t open() { return n_; }
    void close(uint8_t tag, size_t at) {
        const size_t len = n_ - at;
        uint8_t head[4] = {tag, 0, 0, 0};
        size_t h = 2;
        if (len < 0x80) {
            head[1] = static_cast<uint8_t>(len);
        } else if (len < 0x100) {
            head[1] = 0x81, head[2] = static_cast<uint8_t>(len), h = 3;
        } else {
            head[1] = 0x82, head[2] = static_cast<uint8_t>(len >> 8), head[3] = static_cast<uint8_t>(len), h = 4;
        }
        if (n_ + h > out_.size()) {
            ok_ = false;
            return;
        }
        for (size_t i = n_; i > at; --i) out_[i - 1 + h] = out_[i - 1];
        for (size_t i = 0; i < h; ++i) out_[at + i] = head[i];
        n_ += h;
    }
    void primitive(uint8_t tag, std::span<const uint8_t> contents) {
        const size_t at = open();
        raw(contents);
        close(tag, at);
    }
    // A non-negative INTEGER from big-endian bytes: leading zeros dropped, a 0 added where the top bit is set.
    void unsigned_integer(std::span<const uint8_t> be) {
        size_t skip = 0;
        while (skip + 1 < be.size() && be[skip] == 0) ++skip;
        const size_t at = open();
        if (be[skip] & 0x80) byte(0);
        raw(be.subspan(skip));
        close(0x02, at);
    }

private:
    std::span<uint8_t> out_;
    size_t n_ = 0;
    bool ok_ = true;
};

constexpr uint8_t kSequence = 0x30, kSet = 0x31, kOid = 0x06, kBitString = 0x03, kUtf8 = 0x0c, kUtcTime = 0x17,
                  kGeneralizedTime = 0x18, kVersionTag = 0xa0;
// 1.2.840.10045.4.3.3 ecdsa-with-SHA384; 1.2.840.10045.2.1 id-ecPublicKey; 1.3.132.0.34 secp384r1; 2.5.4.3 CN.
constexpr uint8_t kEcdsaSha384[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
constexpr uint8_t kEcPublicKey[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
constexpr uint8_t kSecp384r1[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
constexpr uint8_t kCommonName[] = {0x55, 0x04, 0x03};
constexpr std::string_view kName = "Warden emulated SNP chip key";
constexpr std::string_view kNotBefore = "260101000000Z", kNotAfter = "99991231235959Z";  // RFC 5280 4.1.2.5: no end

std::span<const uint8_t> text(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

void algorithm(Der& d) {
    const size_t at = d.open();
    d.primitive(kOid, kEcdsaSha384);
    d.close(kSequence, at);
}

void name(Der& d) {
    const size_t seq = d.open();
    const size_t set = d.open();
    const size_t atv = d.open();
    d.primitive(kOid, kCommonName);
    d.primitive(kUtf8, text(kName));
    d.close(kSequence, atv);
    d.close(kSet, set);
    d.close(kSequence, seq);
}

}  // namespace

Result<size_t> build_chip_cert(crypto::EcdsaP384Signer& key, std::span<const uint8_t, 8> serial,
                               std::span<uint8_t> out) {
    uint8_t tbs_bytes[kChipCertMax];
    Der tbs(tbs_bytes);
    const size_t tbs_at = tbs.open();
    {
        const size_t v = tbs.open();
        const uint8_t two = 2;  // v3
        tbs.unsigned_integer({&two, 1});
        tbs.close(kVersionTag, v);
    }
    uint8_t positive[8];
    for (size_t i = 0; i < 8; ++i) positive[i] = serial[i];
    positive[0] = static_cast<uint8_t>((positive[0] & 0x7f) | 0x01);  // positive, never zero (RFC 5280 4.1.2.2)
    tbs.unsigned_integer(positive);
    algorithm(tbs);
    name(tbs);  // issuer
    {
        const size_t v = tbs.open();
        tbs.primitive(kUtcTime, text(kNotBefore));
        tbs.primitive(kGeneralizedTime, text(kNotAfter));
        tbs.close(kSequence, v);
    }
    name(tbs);  // subject: self-signed
    {
        const size_t spki = tbs.open();
        const size_t alg = tbs.open();
        tbs.primitive(kOid, kEcPublicKey);
        tbs.primitive(kOid, kSecp384r1);
        tbs.close(kSequence, alg);
        const size_t bits = tbs.open();
        tbs.byte(0);  // no unused bits
        tbs.raw(key.public_key());
        tbs.close(kBitString, bits);
        tbs.close(kSequence, spki);
    }
    tbs.close(kSequence, tbs_at);
    if (!tbs.ok()) return Fail(Error::kOverflow);

    WARDEN_TRY(sig, key.sign(crypto::sha384(tbs.bytes())));
    Der cert(out);
    const size_t at = cert.open();
    cert.raw(tbs.bytes());
    algorithm(cert);
    {
        const size_t bits = cert.open();
        cert.byte(0);
        const size_t value = cert.open();  // ECDSA-Sig-Value (RFC 5480 / X9.62)
        cert.unsigned_integer(sig.r);
        cert.unsigned_integer(sig.s);
        cert.close(kSequence, value);
        cert.close(kBitString, bits);
    }
    cert.close(kSequence, at);
    if (!cert.ok()) return Fail(Error::kOverflow);
    return cert.size();
}

}  // namespace warden::snp
