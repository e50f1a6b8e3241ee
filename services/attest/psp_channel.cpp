// The PSP channel of a task (psp_channel.hpp).
#include "psp_channel.hpp"

#include "service.hpp"
#include "warden/bytes.hpp"
#include "warden/crypto/bearssl_gcm.hpp"

namespace warden::attest {
namespace {

using warden::abi::Sys;

Fail error_of(int64_t r) { return Fail(static_cast<Error>(-r)); }

// glibc's layout at FS.base: the block's own address first, the canary at 0x28.
struct alignas(64) CanaryBlock {
    uint64_t self, unused[4], canary;
} canary_block;

}  // namespace

Result<void> install_canary() {
    canary_block.self = reinterpret_cast<uint64_t>(&canary_block);
    canary_block.canary = svc::rdtsc() * 0x9e3779b97f4a7c15u | 1;
    if (const int64_t r = svc::syscall(Sys::kSetFsBase, canary_block.self); r != 0) return error_of(r);
    return {};
}

Result<void> PspChannel::open() {
    if (const int64_t r = svc::syscall(Sys::kPspKey, reinterpret_cast<uint64_t>(key_.data())); r != 0)
        return error_of(r);
    const int64_t req = svc::dma_buffer(1, &request_pa_);
    if (req < 0) return error_of(req);
    const int64_t resp = svc::dma_buffer(1, &response_pa_);
    if (resp < 0) return error_of(resp);
    request_ = {reinterpret_cast<uint8_t*>(req), sev::kMsgPageSize};
    response_ = {reinterpret_cast<uint8_t*>(resp), sev::kMsgPageSize};
    return {};
}

Result<void> PspChannel::report(std::span<const uint8_t, sev::kReportDataSize> user_data,
                                std::span<uint8_t, sev::kReportSize> out, uint32_t& status) {
    if (spent_ || request_.empty()) return Fail(Error::kDenied);
    sev::ReportRequest r;  // VMPL 0, either key
    for (size_t i = 0; i < user_data.size(); ++i) r.user_data[i] = user_data[i];
    const auto payload = sev::encode_report_request(r);
    crypto::BearSslAes256Gcm gcm;
    WARDEN_TRY_VOID(sev::seal_request(sev::kMsgReportReq, 1, 0, payload, key_, sequence_, gcm, request_));
    WARDEN_TRY(seqno, sequence_.request_seqno());
    const sev::MsgHeader asked{seqno, sev::kMsgReportReq, 1, sev::kReportReqSize, 0};
    uint64_t reply[2] = {};
    const int64_t sent = svc::syscall(Sys::kGuestRequest, request_pa_, response_pa_, reinterpret_cast<uint64_t>(reply));
    if (sent != 0) return error_of(sent);
    if (reply[0] != 0 || reply[1] != 0) return Fail(Error::kBusy);
    static std::array<uint8_t, sev::kReportRspSize> rsp;
    if (!sev::open_response(response_, asked, key_, sequence_, gcm, rsp)) {
        spent_ = true;
        for (auto& b : key_) b = 0;
        return Fail(Error::kDenied);
    }
    status = load_le<uint32_t>(rsp, sev::kReportRspStatus);
    if (status != 0 || load_le<uint32_t>(rsp, sev::kReportRspReportSize) != sev::kReportSize)
        return Fail(Error::kInvalidArgument);
    for (size_t i = 0; i < sev::kReportSize; ++i) out[i] = rsp[sev::kReportRspReport + i];
    return {};
}

}  // namespace warden::attest
