// The conversations with the hypervisor that Warden's SNP platform has at
// boot and when it starts a vCPU, as algorithms over two channels the tests
// fake: the GHCB MSR protocol (MsrChannel: write MSR 0xC0010130, VMGEXIT,
// read it back) and VMGEXITs with a GHCB page (Hypervisor).
//
// A GHCB is brought up in this order (GHCB spec 56421 2.3.1 and 4.1.6):
//   1. share_page_msr: rescind the page's validation, then ask for it to be
//      made shared (MSR page-state change);
//   2. the caller maps it with the C-bit clear and zeroes it;
//   3. register_ghcb: tell the hypervisor its GPA and check the echo.
#pragma once

#include "warden/addr.hpp"
#include "warden/sev/ghcb.hpp"
#include "warden/sev/ghcb_msr.hpp"
#include "warden/sev/page_state.hpp"

namespace warden::sev {

class MsrChannel {
public:
    // Writes the request to the GHCB MSR, exits, returns what the MSR holds then.
    virtual uint64_t exchange(uint64_t request) = 0;

protected:
    ~MsrChannel() = default;
};

inline constexpr uint16_t kGhcbProtocolWanted = 2;  // the version Warden's GHCB use follows

// Warden's own termination reasons (reason-code set 3: not assigned by the
// GHCB spec, which defines set 0; docs/igvm.md lists them for operators).
inline constexpr uint8_t kReasonSetWarden = 3;
inline constexpr uint8_t kReasonVcUnsupported = 1;     // a #VC for an event Warden does not serve
inline constexpr uint8_t kReasonVcRefused = 2;         // the hypervisor reported failure
inline constexpr uint8_t kReasonVcBadAnswer = 3;       // it left a result invalid, or named unreachable memory
inline constexpr uint8_t kReasonVcNested = 4;          // a #VC inside the #VC handler
inline constexpr uint8_t kReasonLaunchMismatch = 5;    // CPUID and the measured boot block disagree
inline constexpr uint8_t kReasonMemoryAcceptance = 6;  // validating SVSM memory failed
inline constexpr uint8_t kReasonGhcbSetup =
    7;  // a CPU could not share or register its GHCB  // the version Warden's GHCB use follows

struct Negotiation {
    uint16_t version = 0;   // the protocol version both speak
    uint64_t features = 0;  // the hypervisor's feature bitmap
};

// SEV information then hypervisor features. kBadVersion: the hypervisor
// does not speak version 2; kInvalidArgument: it names a C-bit other than
// CPUID's (expected_c_bit) or answers with the wrong code; kUnsupported: it
// does not offer SEV-SNP. The caller terminates with the matching reason.
Result<Negotiation> negotiate(MsrChannel& ch, uint8_t expected_c_bit);

// CPUID through the MSR protocol (before any GHCB): four exchanges.
Result<uint32_t> cpuid_msr(MsrChannel& ch, uint32_t function, msr::CpuidRegister reg);

// Step 1 above for one 4 KiB page. kDenied: the hypervisor refused.
Result<void> share_page_msr(MsrChannel& ch, Validator& v, PhysAddr page);
// Step 3: kDenied if the hypervisor registered another GFN (or all ones).
Result<void> register_ghcb(MsrChannel& ch, PhysAddr ghcb);

// AP creation (VMGEXIT 0x80000013, action 1 "create"): starts the vCPU with
// this APIC ID from the VMSA at vmsa_gpa, which must already be a VMSA page
// (RMPADJUST with the VMSA bit). RAX carries the VMSA's SEV_FEATURES.
struct ApCreate {
    uint32_t apic_id = 0;
    uint64_t vmsa_gpa = 0;
    uint64_t sev_features = 0;
    uint8_t vmpl = 0;
};
inline constexpr uint64_t kApActionCreateOnInit = 0, kApActionCreate = 1, kApActionDestroy = 2;
uint64_t ap_creation_info(const ApCreate& a, uint64_t action);
// kInvalidArgument for a VMSA GPA that is not page aligned or a VMPL > 3;
// kDenied when the hypervisor refuses.
Result<void> create_ap(Hypervisor& hv, Ghcb& ghcb, const ApCreate& a);
// AP destruction: the vCPU with that APIC ID no longer runs a context at
// `vmpl` (1-3 here: VMPL0's own VMSA is never destroyed this way).
// kInvalidArgument for VMPL 0 or > 3; kDenied when the hypervisor refuses.
Result<void> destroy_ap(Hypervisor& hv, Ghcb& ghcb, uint32_t apic_id, uint8_t vmpl);

// RUN_VMPL (VMGEXIT 0x80000018, GHCB spec 4.1.13; exit_info_1 = the VMPL):
// the hypervisor runs this vCPU's context at `vmpl` (created by AP creation
// at that VMPL) and returns when that VMPL asks to run this one again.
// kInvalidArgument for a VMPL > 3; kDenied when the hypervisor refuses.
Result<void> run_vmpl(Hypervisor& hv, Ghcb& ghcb, uint8_t vmpl);

}  // namespace warden::sev
