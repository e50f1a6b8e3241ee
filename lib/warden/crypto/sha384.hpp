// SHA-384 (FIPS 180-4 section 6.5: SHA-512's compression with its own initial
// value, truncated to 48 bytes), freestanding: what the emulated SNP host's
// PSP uses for the launch digest (SNP Firmware ABI 56860, SNP_LAUNCH_UPDATE),
// where no OpenSSL exists. Host-tested against FIPS 180-4's examples and
// against OpenSSL on random inputs (sha384_test).
#pragma once

#include <array>
#include <span>

#include "warden/types.hpp"

namespace warden::crypto {

inline constexpr size_t kSha384Size = 48;
using Sha384Digest = std::array<uint8_t, kSha384Size>;

class Sha384 {
public:
    Sha384();
    void update(std::span<const uint8_t> data);
    Sha384Digest finish();  // the object must not be updated afterwards

private:
    void block(const uint8_t* p);
    std::array<uint64_t, 8> h_;
    std::array<uint8_t, 128> buf_{};
    size_t used_ = 0;
    uint64_t bytes_ = 0;  // messages here are far below 2^61 bytes
};

Sha384Digest sha384(std::span<const uint8_t> data);

}  // namespace warden::crypto
