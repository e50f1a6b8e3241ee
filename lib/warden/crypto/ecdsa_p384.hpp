// ECDSA over P-384 with SHA-384 (FIPS 186-4; SEC 1) as an interface: the
// emulated PSP signs attestation reports through it (the VCEK's role;
// sev/attestation_report.hpp), and each image supplies its implementation
// (BearSSL, bearssl_ecdsa.hpp).
#pragma once

#include <array>
#include <span>

#include "warden/crypto/sha384.hpp"
#include "warden/result.hpp"

namespace warden::crypto {

inline constexpr size_t kP384ScalarSize = 48;
inline constexpr size_t kP384PointSize = 1 + 2 * kP384ScalarSize;  // SEC 1 uncompressed: 0x04 || X || Y

// r and s, big-endian, as ECDSA defines them.
struct P384Signature {
    std::array<uint8_t, kP384ScalarSize> r{}, s{};
};

class EcdsaP384Signer {
public:
    // Signs a SHA-384 hash value (not the message). kInvalidArgument when
    // the key cannot sign (none made yet).
    virtual Result<P384Signature> sign(std::span<const uint8_t, kSha384Size> hash) = 0;
    // The public key, SEC 1 uncompressed.
    virtual std::span<const uint8_t, kP384PointSize> public_key() const = 0;

protected:
    ~EcdsaP384Signer() = default;
};

}  // namespace warden::crypto
