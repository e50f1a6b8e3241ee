// The attestation service (SVSM protocol 1's back end; docs/attestation.md):
// serves "attest" for the request loops. For each call it builds the
// services manifest, checks that the guest's buffers can take the report
// and the manifest (else it says the sizes, and asks nothing of the PSP),
// sets REPORT_DATA = SHA-512(nonce || manifest), asks the PSP for a VMPL0
// report through its channel (VMPCK0, one sequence kept across requests)
// and writes report and manifest into the caller's lend. Debian's
// libbearssl does the SHA-512 and the AES-256-GCM.
#include <bearssl.h>

#include "../psp_channel.hpp"
#include "service.hpp"
#include "warden/abi/attest_service.hpp"
#include "warden/abi/vtpm_service.hpp"
#include "warden/bytes.hpp"

WARDEN_SERVICE_MANIFEST(.name = "attest", .serves = "attest", .uses = {"vtpm"}, .ports = {},
                        .cpu = warden::abi::kAnyCpu,
                        .flags = warden::abi::kManifestVector | warden::abi::kManifestAttest);

extern "C" {
[[noreturn]] void __stack_chk_fail() {
    svc::log("stack protector: smashed stack");
    svc::exit(-2);
}
[[noreturn]] void warden_fortify_fail(const char* what) {
    svc::log("fortify: {}", what);
    svc::exit(-3);
}
}

namespace {

using namespace warden;
namespace proto = warden::abi::attest_service;
using svsm::AttestStatus;

attest::PspChannel psp;
// The services manifest: a GUID table of the services that have one. The
// vTPM's entry is its EK's public area (SPEC-FACTS 7b), asked of the vTPM
// service once, at the first request (its start takes seconds under TCG);
// without a vTPM the table has no entries.
constexpr Guid kVtpmGuid = guid("c476f1eb-0123-45a5-9641-b4e7dde5bfe3");
constexpr uint64_t kVtpmHandle = 1, kVtpmWaitMs = 60'000;
uint8_t ek_public[abi::vtpm_service::kMaxCommand];
size_t ek_size = 0;
std::array<uint8_t, 24 * 2 + sizeof ek_public> manifest;
size_t manifest_size = 0;
bool manifest_made = false;

void make_manifest() {
    if (manifest_made) return;
    manifest_made = true;
    svc::Message m{.label = abi::vtpm_service::kEkPublic}, r;
    const int64_t got = svc::call(kVtpmHandle, m, r, kVtpmWaitMs, ek_public, sizeof ek_public);
    if (got == 0 && r.label == 0 && r.words[0] > 0 && r.words[0] <= sizeof ek_public) ek_size = r.words[0];
    const svsm::ManifestEntry entries[] = {{kVtpmGuid, std::span<const uint8_t>(ek_public, ek_size)}};
    auto written = svsm::write_services_manifest(std::span(entries, ek_size ? 1 : 0), manifest);
    manifest_size = written ? *written : 0;
    if (ek_size)
        svc::log("services manifest: {} bytes, the vTPM's EK ({} bytes) its one entry", manifest_size, ek_size);
    else
        svc::log("services manifest: {} bytes, no entries (no vTPM answered: {})", manifest_size,
                 got != 0 ? error_name(Error(-got)) : "it refused");
}

uint8_t nonce_and_service[proto::kServiceAt + 16];
std::array<uint8_t, sev::kReportSize> report;

svc::Message answer(AttestStatus s, uint64_t detail = 0) {
    svc::Message r;
    r.label = static_cast<uint64_t>(s);
    r.words[3] = detail;
    return r;
}

svc::Message serve(const svc::Message& m) {
    const uint64_t lent = static_cast<uint64_t>(svc::lent_read(m.reply, 0, nullptr, 0));
    if (static_cast<int64_t>(lent) < 0 || lent < proto::kLendSize) return answer(AttestStatus::kFailed, lent);
    if (svc::lent_read(m.reply, proto::kNonceAt, nonce_and_service, sizeof nonce_and_service) < 0)
        return answer(AttestStatus::kFailed);
    make_manifest();
    // ATTEST_SINGLE_SERVICE: the one service with a manifest is the vTPM, whose manifest is its EK.
    std::span<const uint8_t> attested(manifest.data(), manifest_size);
    if (m.words[0] & proto::kSingle) {
        Guid asked;
        for (size_t i = 0; i < asked.size(); ++i) asked[i] = nonce_and_service[proto::kServiceAt + i];
        if (asked != kVtpmGuid || ek_size == 0) return answer(AttestStatus::kUnknownService);
        attested = std::span<const uint8_t>(ek_public, ek_size);
    }
    svc::Message r = answer(AttestStatus::kTooSmall);
    r.words[0] = sev::kReportSize;
    r.words[1] = attested.size();
    r.words[2] = 0;  // no certificates (the extended request is not made)
    if (m.words[1] < sev::kReportSize || m.words[2] < attested.size()) return r;

    std::array<uint8_t, sev::kReportDataSize> report_data;
    br_sha512_context sha;
    br_sha512_init(&sha);
    br_sha512_update(&sha, nonce_and_service + proto::kNonceAt, svsm::kNonceSize);
    br_sha512_update(&sha, attested.data(), attested.size());
    br_sha512_out(&sha, report_data.data());

    const uint64_t t0 = svc::rdtsc();
    uint32_t status = 0;
    if (auto got = psp.report(report_data, report, status); !got) {
        svc::log("the PSP gave no report: {} (status {:#x})", error_name(got.error()), status);
        return answer(AttestStatus::kFailed, status);
    }
    const uint64_t cycles = svc::rdtsc() - t0;
    // What came back must be this request's: VMPL 0 and this REPORT_DATA.
    bool ours = report[sev::kReportVmpl] == 0;
    for (size_t i = 0; i < report_data.size(); ++i) ours &= report[sev::kReportData + i] == report_data[i];
    if (!ours) {
        svc::log("the PSP's report carries another VMPL or REPORT_DATA: not passed on");
        return answer(AttestStatus::kFailed);
    }
    if (svc::lent_write(m.reply, proto::kReportAt, report.data(), report.size()) < 0 ||
        svc::lent_write(m.reply, proto::kManifestAt, attested.data(), attested.size()) < 0)
        return answer(AttestStatus::kFailed);
    char hex[17];
    svc::log("report {} for task {}: REPORT_DATA {}..., {} TSC cycles at the PSP", psp.exchanges(), m.sender,
             to_hex(std::span<const uint8_t>(report_data).first(8), hex), cycles);
    r.label = static_cast<uint64_t>(AttestStatus::kDone);
    return r;
}

}  // namespace

extern "C" int64_t service_main() {
    if (auto c = attest::install_canary(); !c) return 10;
    if (auto o = psp.open(); !o) {
        if (o.error() == Error::kUnsupported) {  // native: nothing to attest with, and nothing is faked
            svc::log("no PSP on this platform: SVSM attestation is not offered");
            return 0;
        }
        svc::log("no channel to the PSP: {}; not serving", error_name(o.error()));
        return 11;
    }
    svc::log("serving SVSM attestation: reports through VMPCK0");
    for (;;) {
        svc::Message m;
        if (svc::receive(0, m) != 0 || m.reply == 0) continue;
        const svc::Message r = m.label == proto::kAttest ? serve(m) : answer(AttestStatus::kFailed);
        (void)svc::reply(m.reply, r);
    }
}
