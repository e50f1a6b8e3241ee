// Where the RMP model plugs in (issue 16 item 3; branch rmp-model writes it
// as lib/warden/snp/rmp.*). The host asks it every question the hardware's
// RMP answers; until rmp-model merges, StandInRmp answers them.
//
// STAND-IN, NOT THE RMP: StandInRmp keeps one "validated" bit and one "VMSA"
// bit per 4 KiB of guest memory and nothing else. Every page is treated as
// assigned to the guest and private; there are no VMPL permissions (any
// RMPADJUST to a lower VMPL succeeds and sets the VMSA bit as asked), no page
// sizes beyond "2 MiB means 512 bits", and the nested page tables are NOT
// derived from it, so nothing it says is enforced on guest accesses. The host
// says so at boot, and docs/snp-host.md lists what is absent.
#pragma once

#include <cstdint>

#include "guest_memory.hpp"

namespace snp_host {

// PVALIDATE / RMPADJUST results (APM vol. 3 PVALIDATE, RMPADJUST; SPEC-FACTS 2).
inline constexpr uint32_t kRmpSuccess = 0, kRmpFailInput = 1, kRmpFailPermission = 2, kRmpFailSizeMismatch = 6;

struct PvalidateOutcome {
    uint32_t eax = kRmpSuccess;
    bool carry = false;  // the entry already had that state
};

class RmpSeam {
public:
    // SNP_LAUNCH_UPDATE: the page is now assigned, private and validated.
    virtual void launch_page(uint64_t gpa) = 0;
    virtual PvalidateOutcome pvalidate(unsigned vmpl, uint64_t gpa, bool huge, bool validate) = 0;
    virtual uint32_t rmpadjust(unsigned vmpl, uint64_t gpa, bool huge, uint64_t attributes) = 0;
    // A page-state change the hypervisor performs (RMPUPDATE): false when refused.
    virtual bool page_state_change(uint64_t gpa, bool huge, bool to_private) = 0;
    // Whether RMPADJUST made the page a VMSA page (what VMRUN and AP creation require).
    virtual bool is_vmsa(uint64_t gpa) const = 0;
    virtual const char* name() const = 0;

protected:
    ~RmpSeam() = default;
};

class StandInRmp final : public RmpSeam {
public:
    explicit StandInRmp(const GuestMemory& g) : guest_(g) {}
    void launch_page(uint64_t gpa) override;
    PvalidateOutcome pvalidate(unsigned vmpl, uint64_t gpa, bool huge, bool validate) override;
    uint32_t rmpadjust(unsigned vmpl, uint64_t gpa, bool huge, uint64_t attributes) override;
    bool page_state_change(uint64_t gpa, bool huge, bool to_private) override;
    bool is_vmsa(uint64_t gpa) const override;
    const char* name() const override { return "stand-in (validated and VMSA bits only; not enforced)"; }

private:
    static constexpr uint64_t kMaxPages = (uint64_t{4} << 30) / 4096;
    // vCPUs on several host CPUs change bits at once: atomic word operations.
    static bool get(const uint64_t* map, uint64_t pfn) {
        return __atomic_load_n(&map[pfn / 64], __ATOMIC_ACQUIRE) >> (pfn % 64) & 1;
    }
    static void put(uint64_t* map, uint64_t pfn, bool v) {
        const uint64_t bit = uint64_t{1} << (pfn % 64);
        if (v) {
            __atomic_fetch_or(&map[pfn / 64], bit, __ATOMIC_ACQ_REL);
        } else {
            __atomic_fetch_and(&map[pfn / 64], ~bit, __ATOMIC_ACQ_REL);
        }
    }
    bool get(uint64_t pfn) const { return get(validated_, pfn); }
    void put(uint64_t pfn, bool v) { put(validated_, pfn, v); }
    const GuestMemory& guest_;
    uint64_t validated_[kMaxPages / 64]{};
    uint64_t vmsa_[kMaxPages / 64]{};
};

}  // namespace snp_host
