// The host's questions to the RMP (issue 16 item 3), answered by lib's RMP
// model through ModelRmp (rmp_model.hpp). Every question the hardware's RMP
// answers for the host goes through here, so the host never touches RMP
// state itself.
#pragma once

#include <cstdint>

#include "guest_memory.hpp"
#include "warden/result.hpp"

namespace snp_host {

// PVALIDATE / RMPADJUST results (APM vol. 3 PVALIDATE, RMPADJUST; SPEC-FACTS 2).
inline constexpr uint32_t kRmpSuccess = 0, kRmpFailInput = 1, kRmpFailPermission = 2, kRmpFailSizeMismatch = 6;

// What the guest sees: EAX and CF, or instead a fault the hardware raises.
enum class RmpFault : uint8_t { kNone, kGp, kVc, kNpf };
struct PvalidateOutcome {
    uint32_t eax = kRmpSuccess;
    bool carry = false;  // the entry already had that state
    RmpFault fault = RmpFault::kNone;
    uint64_t fault_code = 0;  // #VC error code, #NPF EXITINFO1
    const char* reason = "";
};

class RmpSeam {
public:
    // SNP_LAUNCH_UPDATE: the page is now assigned, private and validated; or
    // the PSP refuses it (a page placed twice, not the guest's), and the
    // launch fails.
    virtual warden::Result<void> launch_page(uint64_t gpa) = 0;
    // The instructions' own operands, unmasked (ECX/EDX for PVALIDATE,
    // RCX/RDX for RMPADJUST): the model checks them (FAIL_INPUT).
    virtual PvalidateOutcome pvalidate(unsigned vmpl, uint64_t gpa, uint32_t ecx, uint32_t edx) = 0;
    virtual PvalidateOutcome rmpadjust(unsigned vmpl, uint64_t gpa, uint64_t rcx, uint64_t rdx) = 0;
    // A page-state change the hypervisor performs (RMPUPDATE): nullptr, or
    // why it is refused.
    virtual const char* page_state_change(uint64_t gpa, bool huge, bool to_private) = 0;
    // Whether RMPADJUST made the page a VMSA page (what VMRUN and AP creation require).
    virtual bool is_vmsa(uint64_t gpa) const = 0;
    // Why the RMP refuses an access in guest RAM that faulted in the nested
    // tables: kVc (0x404, not validated), kNpf (with the reason), or kNone when
    // the RMP allows it and only the nested view was stricter.
    virtual PvalidateOutcome explain_access(unsigned vmpl, uint64_t gpa, bool c_bit, bool write, bool fetch,
                                            bool page_walk, bool user) const = 0;
    // A private access met a 2 MiB RMP entry through a 4 KiB nested leaf (the
    // RMP's Page-Size check): PSMASH it, as KVM does before the access is
    // retried. false when the entry is not a guest's 2 MiB one.
    virtual bool smash_for_access(uint64_t gpa) = 0;
    // A shared data access to a page assigned to the guest but not validated:
    // the hypervisor makes it shared (RMPUPDATE), as KVM and QEMU do on such a
    // fault (KVM_EXIT_MEMORY_FAULT, QEMU kvm_convert_memory); a validated page
    // is left alone (converting it would destroy what the guest validated).
    // false when the page is not such a page.
    virtual bool share_on_fault(uint64_t gpa) = 0;
    // A shared-alias #NPF on a private page: the nested leaf is filled for a
    // data read or a page walk (npt.hpp npt_use_shared_alias); false when
    // that changes nothing and the fault is the RMP's to explain.
    virtual bool use_shared_alias(uint64_t gpa, bool page_walk) = 0;
    // The nested CR3 of a VMPL's view of the RMP (built on first use), for a
    // context with paging on or off (npt.hpp).
    virtual uint64_t nested_root(unsigned vmpl, bool paging) = 0;
    // The hypervisor's own access to [gpa, gpa + len) of guest RAM, made for
    // the guest (host_access.hpp): nullptr when the RMP lets the host do it,
    // else why not. A host write to a page the RMP does not give the
    // hypervisor faults (APM vol. 2 15.36.10, Table 15-39 host row); a read
    // of one is not checked by the hardware but yields ciphertext, so it is
    // refused too wherever the protocol requires shared memory.
    virtual const char* host_access(uint64_t gpa, uint64_t len, bool write) const = 0;
    virtual const char* name() const = 0;

protected:
    ~RmpSeam() = default;
};

}  // namespace snp_host
