// The SNP attestation report and the messages that ask for it (SEV-SNP
// Firmware ABI 56860, "ATTESTATION_REPORT Structure", MSG_REPORT_REQ and
// MSG_REPORT_RSP; SPEC-FACTS.md 7b): what the emulated PSP builds (and
// signs, snp/psp_guest_request.hpp), and what a guest (Warden's attestation
// service) asks for and reads.
#pragma once

#include <array>
#include <span>

#include "warden/crypto/ecdsa_p384.hpp"
#include "warden/result.hpp"

namespace warden::sev {

// The report, little-endian.
inline constexpr size_t kReportSize = 0x4a0;
inline constexpr size_t kReportVersion = 0x000, kReportGuestSvn = 0x004, kReportPolicy = 0x008;
inline constexpr size_t kReportFamilyId = 0x010, kReportImageId = 0x020;  // 16 bytes each
inline constexpr size_t kReportVmpl = 0x030, kReportSignatureAlgo = 0x034;
inline constexpr size_t kReportCurrentTcb = 0x038, kReportPlatformInfo = 0x040, kReportFlags = 0x048;
inline constexpr size_t kReportData = 0x050, kReportDataSize = 64;
inline constexpr size_t kReportMeasurement = 0x090, kReportMeasurementSize = 48;
inline constexpr size_t kReportHostData = 0x0c0;                                     // 32
inline constexpr size_t kReportIdKeyDigest = 0x0e0, kReportAuthorKeyDigest = 0x110;  // 48 each
inline constexpr size_t kReportId = 0x140, kReportIdMa = 0x160;                      // 32 each
inline constexpr size_t kReportReportedTcb = 0x180;
inline constexpr size_t kReportChipId = 0x1a0, kReportChipIdSize = 64;
inline constexpr size_t kReportCommittedTcb = 0x1e0, kReportCurrentVersion = 0x1e8;  // build, minor, major
inline constexpr size_t kReportCommittedVersion = 0x1ec, kReportLaunchTcb = 0x1f0;
inline constexpr size_t kReportSignedSize = 0x2a0;  // the signature covers bytes 0x000..0x29f
inline constexpr size_t kReportSignatureR = 0x2a0, kReportSignatureS = 0x2e8, kReportSignatureComponent = 72;
inline constexpr uint32_t kSignatureAlgoEcdsaP384Sha384 = 1;

// What a report says. Everything not named here is zero: no ID block or
// author key at launch (the emulated host takes none), no host data.
struct ReportFields {
    uint32_t version = 0;
    uint32_t guest_svn = 0;
    uint64_t policy = 0;
    uint32_t vmpl = 0;
    uint64_t current_tcb = 0, reported_tcb = 0, committed_tcb = 0, launch_tcb = 0;
    uint64_t platform_info = 0;
    uint32_t flags = 0;
    std::array<uint8_t, kReportDataSize> report_data{};
    std::array<uint8_t, kReportMeasurementSize> measurement{};
    std::array<uint8_t, 32> report_id{}, report_id_ma{};
    std::array<uint8_t, kReportChipIdSize> chip_id{};
    std::array<uint8_t, 3> current_version{}, committed_version{};  // build, minor, major
};

// The unsigned report: every field at its offset, the rest zero,
// signature_algo ECDSA P-384 with SHA-384.
void build_report(const ReportFields& f, std::span<uint8_t, kReportSize> out);

// The signature as ECDSA defines it (big-endian r and s) from a report;
// kInvalidArgument when the padding bytes past 48 are not zero.
Result<crypto::P384Signature> report_signature(std::span<const uint8_t, kReportSize> report);

// MSG_REPORT_REQ (payload of a kMsgReportReq message): user_data[64] @0x00,
// vmpl u32 @0x40, key_sel u32 @0x44 (bits 1:0: 0 either key, 1 the VCEK,
// 2 the VLEK), reserved to 0x60.
inline constexpr size_t kReportReqSize = 0x60;
inline constexpr size_t kReportReqUserData = 0x00, kReportReqVmpl = 0x40, kReportReqKeySel = 0x44;
struct ReportRequest {
    std::array<uint8_t, kReportDataSize> user_data{};
    uint32_t vmpl = 0;
    uint32_t key_sel = 0;
};
// kTruncated for a payload other than kReportReqSize bytes; any values
// otherwise: the PSP judges them (psp_guest_request).
Result<ReportRequest> parse_report_request(std::span<const uint8_t> payload);
// The guest's side: the request's payload.
std::array<uint8_t, kReportReqSize> encode_report_request(const ReportRequest& r);

// MSG_REPORT_RSP: status u32 @0x00, report_size u32 @0x04, reserved to 0x20,
// the report @0x20 (when status is 0).
inline constexpr size_t kReportRspSize = 0x20 + kReportSize;
inline constexpr size_t kReportRspStatus = 0x00, kReportRspReportSize = 0x04, kReportRspReport = 0x20;

}  // namespace warden::sev
