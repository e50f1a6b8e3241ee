// The harness guest's two ways to the hypervisor (GHCB spec 56421): the MSR
// protocol and its GHCB page, which it brings up as Linux does below VMPL0:
// the page rescinded by its SVSM (core PVALIDATE: a VMPL2 guest cannot
// PVALIDATE), made shared by an MSR page-state change, mapped shared,
// zeroed and registered.
#pragma once

#include "vcpu.hpp"
#include "warden/sev/protocol.hpp"

namespace harness {

// Termination reasons of the harness's set (kReasonSetHarness), for the
// host's line when the guest cannot go on.
inline constexpr uint8_t kReasonVcUnsupported = 1, kReasonVcBadAnswer = 2, kReasonVcNested = 3;
inline constexpr uint8_t kReasonBootPage = 4, kReasonNegotiation = 5, kReasonGhcbSetup = 6, kReasonSecrets = 7;
// 0: every check passed; kReasonChecksFailed: the run ended, some check failed
// (1 was both that and kReasonVcUnsupported until 2026-12). The host's
// lines name each (snp-host/vmgexit.cpp reason_text, set 4).
inline constexpr uint8_t kReasonPassed = 0, kReasonChecksFailed = 8;
inline constexpr uint8_t kReasonException = 0x20;  // + the vector

class MsrProtocol final : public warden::sev::MsrChannel {
public:
    explicit MsrProtocol(Vcpu& v) : v_(v) {}
    // The GHCB MSR holds the GHCB's GPA again afterwards once it is registered.
    uint64_t exchange(uint64_t request) override;

private:
    Vcpu& v_;
};

// A VMGEXIT with the GHCB MSR holding the GHCB's GPA (the page passed in).
class GhcbExit final : public warden::sev::Hypervisor {
public:
    warden::Result<void> vmgexit(warden::sev::Ghcb& ghcb) override;
};

// SEV information and hypervisor features (multiple VMPLs required), then
// this vCPU's GHCB page shared and registered. Terminates on failure: until
// the GHCB exists the guest has no console.
void bring_up_ghcb(Vcpu& v);

// Whether a read of va finds a validated page (false: #VC 0x404).
bool validated(Vcpu& v, uint64_t va);

}  // namespace harness
