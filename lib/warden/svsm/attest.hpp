// The SVSM attestation protocol's message formats (SVSM spec 58019, protocol
// 1; tables 11 and 13): the operation structures the guest passes by GPA
// in RCX, and the services manifest (a GUID table) the SVSM returns. Parsing
// is of guest memory: copied first, every reserved byte checked.
//
// The report itself comes from the SNP firmware (a guest request sealed
// under VMPCK0), which the attestation service asks (services/attest/):
// the dispatcher (core.cpp) checks the guest's operation and buffers, asks
// an Attestation (the request loop's: an IPC call to that service), checks
// the answer and writes it into the guest's buffers. Where there is no
// firmware (native) the protocol is not offered at all (docs/svsm.md).
#pragma once

#include <array>
#include <span>

#include "warden/addr.hpp"
#include "warden/guid.hpp"
#include "warden/result.hpp"

namespace warden::svsm {

inline constexpr uint32_t kAttestServices = 0, kAttestSingleService = 1;
inline constexpr size_t kAttestServicesOpSize = 0x40, kAttestSingleServiceOpSize = 0x58;
inline constexpr size_t kNonceSize = 64;  // REPORT_DATA: the nonce is hashed with the manifest into it

struct AttestServicesOp {
    PhysAddr report;
    uint32_t report_size = 0;
    PhysAddr nonce;
    uint16_t nonce_size = 0;
    PhysAddr manifest;
    uint32_t manifest_size = 0;
    PhysAddr certificates;
    uint32_t certificates_size = 0;
};
struct AttestSingleServiceOp {
    AttestServicesOp op;
    Guid service{};
    uint32_t manifest_version = 0;
};

// kTruncated (short copy), kInvalidArgument (a reserved byte set, or a nonce
// that is not 64 bytes), kMisaligned (report, manifest or certificate buffer
// not page aligned; a certificate buffer of size 0 may have any address).
Result<AttestServicesOp> parse_attest_services(std::span<const uint8_t> bytes);
Result<AttestSingleServiceOp> parse_attest_single_service(std::span<const uint8_t> bytes);

// The services manifest: a GUID table. Header {GUID 63849ebb-3d92-4670-
// a1ff-58f9c94b87bb, u32 total length, u32 entry count}, then per entry
// {GUID, u32 offset of its data from the table start, u32 data length}, then
// the data. Returns the bytes written, kOverflow if out is too small.
struct ManifestEntry {
    Guid guid;
    std::span<const uint8_t> data;
};
inline constexpr Guid kServicesManifestGuid = guid("63849ebb-3d92-4670-a1ff-58f9c94b87bb");
Result<size_t> write_services_manifest(std::span<const ManifestEntry> entries, std::span<uint8_t> out);

// What the dispatcher asks of the attestation service: the guest's nonce,
// which manifest (the services manifest, or one service's), and how many
// bytes each of the guest's buffers can take (capped at kAttestRoomMax:
// what the dispatcher checked is in the guest's hands).
inline constexpr uint32_t kAttestRoomMax = 16 << 10;
struct AttestQuery {
    std::array<uint8_t, kNonceSize> nonce{};
    bool single = false;  // ATTEST_SINGLE_SERVICE: `service`'s manifest
    Guid service{};
    uint32_t report_room = 0, manifest_room = 0, certificates_room = 0;
};
enum class AttestStatus : uint8_t {
    kDone,            // report, manifest and certificates below, each within its room
    kTooSmall,        // a buffer is smaller than its size below: nothing asked of the PSP
    kUnknownService,  // no service of that GUID
    kFailed,          // the service or the PSP refused or did not answer
};
struct AttestAnswer {
    AttestStatus status = AttestStatus::kFailed;
    uint32_t report_size = 0, manifest_size = 0, certificates_size = 0;  // kDone and kTooSmall
    std::span<const uint8_t> report, manifest, certificates;             // kDone
};
class Attestation {
public:
    // Whether protocol 1 is offered at all (QUERY_PROTOCOL; every call of
    // protocol 1 is ERR_UNSUPPORTED_PROTOCOL otherwise).
    virtual bool offered() = 0;
    virtual AttestAnswer attest(const AttestQuery& q) = 0;

protected:
    ~Attestation() = default;
};

}  // namespace warden::svsm
