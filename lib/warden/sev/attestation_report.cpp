// The SNP attestation report (attestation_report.hpp).
#include "warden/sev/attestation_report.hpp"

#include <cstring>

#include "warden/bytes.hpp"

namespace warden::sev {

namespace {

template <size_t N>
void put(std::span<uint8_t> out, size_t at, const std::array<uint8_t, N>& a) {
    std::memcpy(out.data() + at, a.data(), N);
}

}  // namespace

void build_report(const ReportFields& f, std::span<uint8_t, kReportSize> out) {
    std::memset(out.data(), 0, out.size());
    store_le<uint32_t>(out, kReportVersion, f.version);
    store_le<uint32_t>(out, kReportGuestSvn, f.guest_svn);
    store_le<uint64_t>(out, kReportPolicy, f.policy);
    store_le<uint32_t>(out, kReportVmpl, f.vmpl);
    store_le<uint32_t>(out, kReportSignatureAlgo, kSignatureAlgoEcdsaP384Sha384);
    store_le<uint64_t>(out, kReportCurrentTcb, f.current_tcb);
    store_le<uint64_t>(out, kReportPlatformInfo, f.platform_info);
    store_le<uint32_t>(out, kReportFlags, f.flags);
    put(out, kReportData, f.report_data);
    put(out, kReportMeasurement, f.measurement);
    put(out, kReportId, f.report_id);
    put(out, kReportIdMa, f.report_id_ma);
    store_le<uint64_t>(out, kReportReportedTcb, f.reported_tcb);
    put(out, kReportChipId, f.chip_id);
    store_le<uint64_t>(out, kReportCommittedTcb, f.committed_tcb);
    put(out, kReportCurrentVersion, f.current_version);
    put(out, kReportCommittedVersion, f.committed_version);
    store_le<uint64_t>(out, kReportLaunchTcb, f.launch_tcb);
}

Result<crypto::P384Signature> report_signature(std::span<const uint8_t, kReportSize> report) {
    crypto::P384Signature sig;
    for (size_t i = crypto::kP384ScalarSize; i < kReportSignatureComponent; ++i) {
        if (report[kReportSignatureR + i] != 0 || report[kReportSignatureS + i] != 0)
            return Fail(Error::kInvalidArgument);
    }
    for (size_t i = 0; i < crypto::kP384ScalarSize; ++i) {
        sig.r[crypto::kP384ScalarSize - 1 - i] = report[kReportSignatureR + i];
        sig.s[crypto::kP384ScalarSize - 1 - i] = report[kReportSignatureS + i];
    }
    return sig;
}

Result<ReportRequest> parse_report_request(std::span<const uint8_t> payload) {
    if (payload.size() != kReportReqSize) return Fail(Error::kTruncated);
    ReportRequest r;
    std::memcpy(r.user_data.data(), payload.data() + kReportReqUserData, r.user_data.size());
    r.vmpl = load_le<uint32_t>(payload, kReportReqVmpl);
    r.key_sel = load_le<uint32_t>(payload, kReportReqKeySel);
    return r;
}

std::array<uint8_t, kReportReqSize> encode_report_request(const ReportRequest& r) {
    std::array<uint8_t, kReportReqSize> out{};
    std::memcpy(out.data() + kReportReqUserData, r.user_data.data(), r.user_data.size());
    store_le<uint32_t>(out, kReportReqVmpl, r.vmpl);
    store_le<uint32_t>(out, kReportReqKeySel, r.key_sel);
    return out;
}

}  // namespace warden::sev
