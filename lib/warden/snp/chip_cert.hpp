// The emulated PSP's chip-key certificate (the VCEK certificate's role): an
// X.509 v3 certificate (RFC 5280), self-signed with ECDSA P-384 over
// SHA-384 (RFC 5758 3.2: ecdsa-with-SHA384, no parameters), for the chip
// key's public point (RFC 5480: id-ecPublicKey, secp384r1). The emulated
// host writes it out at boot so that a verifier takes the key from a
// certificate, as from AMD's KDS, rather than from a bare point. There is
// no ARK/ASK chain: it is its own issuer, "CN=Warden emulated SNP chip key".
// DER by hand: the fields are fixed but for the key, the serial and the
// signature.
#pragma once

#include <span>

#include "warden/crypto/ecdsa_p384.hpp"
#include "warden/result.hpp"

namespace warden::snp {

inline constexpr size_t kChipCertMax = 1024;

// The certificate into out (its DER length returned); serial: 8 bytes of
// the chip ID (made positive). kOverflow for a short out, the signer's
// error when it cannot sign.
Result<size_t> build_chip_cert(crypto::EcdsaP384Signer& key, std::span<const uint8_t, 8> serial,
                               std::span<uint8_t> out);

}  // namespace warden::snp
