// The attestation service's protocol on its queue ("attest"; services/attest/),
// as the request loop calls it for SVSM protocol 1 (lib/warden/svsm/attest.hpp
// AttestQuery and AttestAnswer, carried over IPC). Bulk data travels in
// memory the call lends (kCall's lend, at least kLendSize bytes).
#pragma once

#include "warden/abi/syscall.hpp"
#include "warden/svsm/attest.hpp"

namespace warden::abi::attest_service {

// label kAttest: words[0] bit 0: one service's manifest (ATTEST_SINGLE_SERVICE);
// words[1..3] the rooms of the guest's report, manifest and certificate
// buffers. The lend holds the nonce at kNonceAt and, for one service, its
// GUID at kServiceAt.
// Reply: label = svsm::AttestStatus; words[0..2] the report's, manifest's
// and certificates' sizes (kDone, kTooSmall); with kDone the lend holds the
// report at kReportAt, the manifest at kManifestAt, the certificates at
// kCertificatesAt; words[3] the PSP's status or the error behind kFailed.
inline constexpr uint64_t kAttest = 1;
inline constexpr uint64_t kSingle = 1;
inline constexpr size_t kNonceAt = 0x00, kServiceAt = 0x40;
inline constexpr size_t kReportAt = 0x000, kReportRoom = 0x800;
inline constexpr size_t kManifestAt = kReportAt + kReportRoom;
inline constexpr size_t kCertificatesAt = kManifestAt + svsm::kAttestRoomMax;
inline constexpr size_t kLendSize = kCertificatesAt + svsm::kAttestRoomMax;
static_assert(kLendSize <= kMaxLend, "one call's lend");

}  // namespace warden::abi::attest_service
