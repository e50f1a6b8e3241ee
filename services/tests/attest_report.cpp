// Test service: what the attestation service will do, end to end on SNP,
// from CPL3 (docs/attestation.md), through the attestation service's PSP
// channel (services/attest/psp_channel.hpp: Debian's libbearssl seals
// MSG_REPORT_REQ under VMPCK0, kGuestRequest sends it on two DMA pages),
// after checking what kGuestRequest refuses; the report is printed for
// tests/snp/snp_run.py `report` to check outside Warden. Exit code 0 only
// when the PSP answered with a report carrying this task's data at VMPL0.
#include <cstring>

#include "../attest/psp_channel.hpp"
#include "service.hpp"
#include "warden/bytes.hpp"

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

void print_hex(std::string_view what, std::span<const uint8_t> bytes) {
    for (size_t at = 0; at < bytes.size(); at += 32) {
        char text[64];
        svc::log("{} +{:#05x} {}", what, at, to_hex(bytes.subspan(at), text));
    }
}

}  // namespace

extern "C" int64_t service_main() {
    if (!attest::install_canary()) return 10;
    attest::PspChannel psp;
    if (auto o = psp.open(); !o) {
        svc::log("no PSP channel: {}", error_name(o.error()));
        return 11;
    }
    const uint64_t req_pa = psp.request_phys(), resp_pa = psp.response_phys();
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
    svc::log(
        "kGuestRequest refuses a misaligned page, one page twice, pages not its DMA buffers, a kernel "
        "reply pointer: {}",
        checks ? "yes" : "NO");
    if (!checks) return 18;
    std::array<uint8_t, sev::kReportDataSize> user_data;
    for (size_t i = 0; i < user_data.size(); ++i) user_data[i] = static_cast<uint8_t>(0x3c + 5 * i);
    static std::array<uint8_t, sev::kReportSize> report;
    uint32_t status = ~0u;
    const auto got = psp.report(user_data, report, status);
    svc::log("MSG_REPORT_RSP: {}, status {:#x}", got ? "opened" : error_name(got.error()), status);
    if (!got) return 14;
    print_hex("report data", user_data);
    print_hex("report", report);
    const bool mine = report[sev::kReportVmpl] == 0 &&
                      std::memcmp(report.data() + sev::kReportData, user_data.data(), user_data.size()) == 0;
    return mine ? 0 : 17;
}
