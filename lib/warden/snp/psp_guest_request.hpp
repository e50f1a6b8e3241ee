// The PSP's SNP_GUEST_REQUEST as AMD's SEV firmware serves it
// (snp_mcmd_guest_request; docs/attestation.md has the rules and where
// each comes from): the request page opened under the VMPCK it names, and
// MSG_REPORT_REQ answered with an attestation report signed by the chip's
// key (the VCEK's role). The emulated host (snp-host/guest_request.cpp)
// runs it on copies of the guest's pages; the host tests run it directly.
#pragma once

#include <span>

#include "warden/crypto/aes_gcm.hpp"
#include "warden/crypto/ecdsa_p384.hpp"
#include "warden/sev/attestation_report.hpp"
#include "warden/sev/guest_msg.hpp"

namespace warden::snp {

// Firmware status codes (SEV API; Linux enum sev_ret_code): the mailbox
// status the hypervisor returns in SW_EXITINFO2[31:0], and the status in a
// response's payload.
inline constexpr uint32_t kFwSuccess = 0x00, kFwBadMeasurement = 0x0b, kFwInvalidParam = 0x16,
                          kFwAeadOverflow = 0x1d, kFwInvalidKey = 0x27;

// The mailbox status for a request open_request refused: a form error is
// INVALID_PARAM, a tag that does not hold BAD_MEASUREMENT, a sequence
// number replayed, skipped or spent AEAD_OFLOW, MSG_VERSION or MSG_TYPE
// INVALID_PARAM.
uint32_t request_refusal_status(Error e);

// One guest's context in the PSP (the firmware's GCTX): its VMPCKs and
// their sequence numbers, and what its reports say (the launch's policy and
// digest, the chip ID, the TCB: everything but VMPL and REPORT_DATA).
struct PspGuest {
    sev::PspMsgKeys keys;
    sev::ReportFields report;
};

struct PspAnswer {
    uint32_t status = kFwSuccess;  // the mailbox's: nonzero, no response was written
    uint8_t type = 0;              // the request's MSG_TYPE, when it was opened
    uint32_t payload_status = 0;   // the response's own status (MSG_REPORT_RSP)
};

// Signs a report as the PSP does: bytes 0x000..0x29f (SHA-384, then ECDSA
// P-384) and r and s at 0x2a0 and 0x2e8, each little-endian, zero-padded
// to 72 bytes; the rest of the signature area zero. The signer's error,
// nothing written.
Result<void> sign_report(std::span<uint8_t, sev::kReportSize> report, crypto::EcdsaP384Signer& signer);

// Serves one request: `request` a copy of the guest's request page,
// `response` the page to write (only when status is kFwSuccess; it is
// then the whole sealed response, zero past it). A MSG_REPORT_REQ whose
// reserved bits are set, whose VMPL is below the VMPCK's, or whose key_sel
// names no key this chip has (3; 2, the VLEK: none is installed) is
// answered with that status in the response (a response all the same: the
// sequence moves on); any other defined request type is INVALID_PARAM at
// the mailbox (not modelled: KEY_REQ, CPUID, TSC_INFO, migration).
PspAnswer serve_guest_request(PspGuest& guest, crypto::Aes256Gcm& aead, crypto::EcdsaP384Signer& vcek,
                              std::span<const uint8_t, sev::kMsgPageSize> request,
                              std::span<uint8_t, sev::kMsgPageSize> response);

}  // namespace warden::snp
