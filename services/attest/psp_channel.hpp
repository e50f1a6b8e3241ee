// A task's channel to the PSP for VMPL0 (kManifestAttest; docs/attestation.md):
// VMPCK0 from the kernel (kPspKey), a request and a response page of the
// task's own DMA memory, SNP guest messages sealed and opened with Debian's
// libbearssl (AES-256-GCM), and the sequence numbers of that key. The task
// must be a kManifestVector one with a stack-protector canary
// (install_canary): libbearssl.a is built for glibc.
#pragma once

#include <span>

#include "warden/result.hpp"
#include "warden/sev/attestation_report.hpp"
#include "warden/sev/guest_msg.hpp"

namespace warden::attest {

// FS.base at a block of the task's whose word at 0x28 is a fresh canary.
Result<void> install_canary();

class PspChannel {
public:
    // kUnsupported without a key (native), kDenied without kManifestAttest,
    // or the DMA buffer's error.
    Result<void> open();
    // MSG_REPORT_REQ for VMPL0 with user_data as REPORT_DATA; the report
    // into out. Errors: kBusy when the hypervisor did not deliver it
    // (exit_info_2's error; sequence kept, it can be sent again),
    // kDenied when the response does not open under the key: the channel
    // is spent from then on, as Linux disables a VMPCK that fails once
    // (an attacker in the path, or a lost sequence); kInvalidArgument with
    // `status` set when the PSP answered with a status other than 0.
    Result<void> report(std::span<const uint8_t, sev::kReportDataSize> user_data,
                        std::span<uint8_t, sev::kReportSize> out, uint32_t& status);
    uint64_t request_phys() const { return request_pa_; }
    uint64_t response_phys() const { return response_pa_; }
    uint64_t exchanges() const { return sequence_.last() / 2; }

private:
    sev::Vmpck key_{};
    sev::MsgSequence sequence_;
    std::span<uint8_t> request_, response_;
    uint64_t request_pa_ = 0, response_pa_ = 0;
    bool spent_ = false;
};

}  // namespace warden::attest
