// OpenSSL's ECDSA P-384 verification (tools/report/p384_verify.hpp), for
// tests that check a signature made by Warden's code (BearSSL) with a
// library Warden does not use to sign.
#pragma once

#include "p384_verify.hpp"

namespace test_p384 {

inline bool openssl_verifies(std::span<const uint8_t> pub, std::span<const uint8_t> hash, std::span<const uint8_t> r,
                             std::span<const uint8_t> s) {
    return p384::verify(pub, hash, r, s) == p384::Verdict::kValid;
}

}  // namespace test_p384
