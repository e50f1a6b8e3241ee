// The PSP's SNP_GUEST_REQUEST (psp_guest_request.hpp).
#include "warden/snp/psp_guest_request.hpp"

#include <cstring>

#include "warden/bytes.hpp"

namespace warden::snp {

namespace {

constexpr uint32_t kKeySelMask = 3, kKeySelReserved = 3, kKeySelVlekOnly = 2;

// MSG_REPORT_RSP's status for a request, before any report is made.
uint32_t report_request_status(std::span<const uint8_t> payload, const sev::ReportRequest& r, uint8_t vmpck) {
    for (size_t i = sev::kReportReqKeySel + 4; i < sev::kReportReqSize; ++i) {
        if (payload[i] != 0) return kFwInvalidParam;
    }
    if ((r.key_sel & ~kKeySelMask) != 0) return kFwInvalidParam;
    // The chip has its VCEK and no VLEK (none is ever installed here).
    if (r.key_sel == kKeySelReserved || r.key_sel == kKeySelVlekOnly) return kFwInvalidKey;
    if (r.vmpl < vmpck) return kFwInvalidParam;  // a VMPCK's holder asks for its VMPL or a less privileged one
    return kFwSuccess;
}

}  // namespace

Result<void> sign_report(std::span<uint8_t, sev::kReportSize> report, crypto::EcdsaP384Signer& signer) {
    const auto hash = crypto::sha384(report.first(sev::kReportSignedSize));
    WARDEN_TRY(sig, signer.sign(hash));
    std::memset(report.data() + sev::kReportSignedSize, 0, sev::kReportSize - sev::kReportSignedSize);
    // ECDSA's big-endian integers, little-endian in the report.
    for (size_t i = 0; i < crypto::kP384ScalarSize; ++i) {
        report[sev::kReportSignatureR + i] = sig.r[crypto::kP384ScalarSize - 1 - i];
        report[sev::kReportSignatureS + i] = sig.s[crypto::kP384ScalarSize - 1 - i];
    }
    return {};
}

uint32_t request_refusal_status(Error e) {
    switch (e) {
    case Error::kDenied: return kFwBadMeasurement;
    case Error::kBadSequence:
    case Error::kOverflow: return kFwAeadOverflow;
    default: return kFwInvalidParam;
    }
}

PspAnswer serve_guest_request(PspGuest& guest, crypto::Aes256Gcm& aead, crypto::EcdsaP384Signer& vcek,
                              std::span<const uint8_t, sev::kMsgPageSize> request,
                              std::span<uint8_t, sev::kMsgPageSize> response) {
    // The firmware reads the payload from a zeroed buffer: past MSG_SIZE, zero.
    std::array<uint8_t, sev::kMsgMaxPayload> payload{};
    auto h = sev::open_request(request, guest.keys, aead, payload);
    if (!h) return PspAnswer{.status = request_refusal_status(h.error())};
    if (h->type != sev::kMsgReportReq) return PspAnswer{.status = kFwInvalidParam, .type = h->type};

    const auto fields = std::span<const uint8_t>(payload).first(sev::kReportReqSize);
    const auto asked = sev::parse_report_request(fields);  // the size is right by construction
    std::array<uint8_t, sev::kReportRspSize> rsp{};
    uint32_t status = asked ? report_request_status(fields, *asked, h->vmpck) : kFwInvalidParam;
    const auto report = std::span(rsp).subspan<sev::kReportRspReport, sev::kReportSize>();
    if (status == kFwSuccess) {
        sev::ReportFields f = guest.report;
        f.vmpl = asked->vmpl;
        f.report_data = asked->user_data;
        sev::build_report(f, report);
        if (!sign_report(report, vcek)) {
            std::memset(report.data(), 0, report.size());
            status = kFwInvalidParam;  // as the firmware answers a signing failure
        }
    }
    store_le<uint32_t>(rsp, sev::kReportRspStatus, status);
    store_le<uint32_t>(rsp, sev::kReportRspReportSize, sev::kReportSize);  // set even with an error
    if (auto sealed = sev::seal_response(*h, rsp, guest.keys, aead, response); !sealed)
        return PspAnswer{.status = kFwInvalidParam, .type = h->type};
    return PspAnswer{.status = kFwSuccess, .type = h->type, .payload_status = status};
}

}  // namespace warden::snp
