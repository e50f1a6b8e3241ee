// Test service: what the attestation service will do, end to end on SNP,
// from CPL3 (docs/attestation.md). kManifestVector: Debian's libbearssl
// (built for glibc: SSE, and the stack protector's canary at %fs:0x28, a
// block of this task's through kSetFsBase) seals MSG_REPORT_REQ under VMPCK0
// (kPspKey, kManifestAttest), kGuestRequest sends it on two of its DMA
// pages, and the response is opened and the report printed for
// tests/snp/snp_run.py `report` to check outside Warden. Exit code 0 only
// when the PSP answered with a report carrying this task's data at VMPL0.
#include <cstring>

#include "service.hpp"
#include "warden/bytes.hpp"
#include "warden/crypto/bearssl_gcm.hpp"
#include "warden/sev/attestation_report.hpp"
#include "warden/sev/guest_msg.hpp"

WARDEN_SERVICE_MANIFEST(.name = "attest-report", .serves = "", .uses = {}, .ports = {}, .cpu = warden::abi::kAnyCpu,
                        .flags = warden::abi::kManifestVector | warden::abi::kManifestAttest);

// What the archive's objects call besides the plain string functions:
// the stack protector's failure, and lib/libc/fortify.cpp's.
extern "C" {
[[noreturn]] void __stack_chk_fail() { svc::exit(-2); }
[[noreturn]] void warden_fortify_fail(const char*) { svc::exit(-3); }
}

namespace {

using namespace warden;
using warden::abi::Sys;

struct alignas(64) CanaryBlock {
    uint64_t self, unused[4], canary;
} canary_block;

void print_hex(std::string_view what, std::span<const uint8_t> bytes) {
    for (size_t at = 0; at < bytes.size(); at += 32) {
        char text[64];
        svc::log("{} +{:#05x} {}", what, at, to_hex(bytes.subspan(at), text));
    }
}

}  // namespace

extern "C" int64_t service_main() {
    canary_block.self = reinterpret_cast<uint64_t>(&canary_block);
    canary_block.canary = svc::rdtsc() | 1;
    if (svc::syscall(Sys::kSetFsBase, canary_block.self) != 0) return 10;
    sev::Vmpck key{};
    if (const int64_t r = svc::syscall(Sys::kPspKey, reinterpret_cast<uint64_t>(key.data())); r != 0) {
        svc::log("no PSP key: {}", error_name(static_cast<Error>(-r)));
        return 11;
    }
    uint64_t req_pa = 0, resp_pa = 0;
    const int64_t req_va = svc::dma_buffer(1, &req_pa), resp_va = svc::dma_buffer(1, &resp_pa);
    if (req_va < 0 || resp_va < 0) return 12;
    const std::span<uint8_t> req(reinterpret_cast<uint8_t*>(req_va), 4096), resp(reinterpret_cast<uint8_t*>(resp_va), 4096);

    sev::ReportRequest r;
    for (size_t i = 0; i < r.user_data.size(); ++i) r.user_data[i] = static_cast<uint8_t>(0x3c + 5 * i);
    const auto payload = sev::encode_report_request(r);
    crypto::BearSslAes256Gcm gcm;
    sev::MsgSequence sequence;
    if (!sev::seal_request(sev::kMsgReportReq, 1, 0, payload, key, sequence, gcm, req)) return 13;
    const sev::MsgHeader asked{sequence.last() + 1, sev::kMsgReportReq, 1, sev::kReportReqSize, 0};
    uint64_t reply[2] = {~uint64_t{0}, ~uint64_t{0}};
    // What kGuestRequest refuses before the hypervisor sees anything.
    const auto refused = [&](uint64_t a, uint64_t b, uint64_t out, Error want) {
        return svc::syscall(Sys::kGuestRequest, a, b, out) == -static_cast<int64_t>(want);
    };
    const bool checks = refused(req_pa + 8, resp_pa, reinterpret_cast<uint64_t>(reply), Error::kMisaligned) &&
                        refused(req_pa, req_pa, reinterpret_cast<uint64_t>(reply), Error::kInvalidArgument) &&
                        refused(req_pa, 0x1000, reinterpret_cast<uint64_t>(reply), Error::kDenied) &&
                        refused(0x2000, resp_pa, reinterpret_cast<uint64_t>(reply), Error::kDenied) &&
                        refused(req_pa, resp_pa, 0xffffffff80000000, Error::kInvalidArgument);
    svc::log("kGuestRequest refuses a misaligned page, one page twice, pages not its DMA buffers, a kernel "
             "reply pointer: {}",
             checks ? "yes" : "NO");
    if (!checks) return 18;
    const int64_t sent = svc::syscall(Sys::kGuestRequest, req_pa, resp_pa, reinterpret_cast<uint64_t>(reply));
    svc::log("kGuestRequest: {}, exit_info_1 {:#x}, exit_info_2 {:#x}", sent, reply[0], reply[1]);
    if (sent != 0 || reply[0] != 0 || reply[1] != 0) return 14;
    static std::array<uint8_t, sev::kReportRspSize> rsp;
    if (!sev::open_response(resp, asked, key, sequence, gcm, rsp)) return 15;
    const uint32_t status = load_le<uint32_t>(rsp, sev::kReportRspStatus);
    const auto report = std::span<const uint8_t>(rsp).subspan(sev::kReportRspReport, sev::kReportSize);
    svc::log("MSG_REPORT_RSP status {:#x}, report size {:#x}", status, load_le<uint32_t>(rsp, sev::kReportRspReportSize));
    if (status != 0) return 16;
    print_hex("report data", r.user_data);
    print_hex("report", report);
    for (auto& b : key) b = 0;
    const bool mine = report[sev::kReportVmpl] == 0 &&
                      std::memcmp(report.data() + sev::kReportData, r.user_data.data(), r.user_data.size()) == 0;
    return mine ? 0 : 17;
}
