// Where the RMP model plugs in (issue 16 item 3; branch rmp-model writes it
// as lib/warden/snp/rmp.*). The host asks it every question the hardware's
// RMP answers; until rmp-model merges, StandInRmp answers them.
//
// STAND-IN, NOT THE RMP: StandInRmp keeps one "validated" bit per 4 KiB of
// guest memory and nothing else. Every page is treated as assigned to the
// guest and private; there are no VMPL permissions, no VMSA bit, no page
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
    const char* name() const override { return "stand-in (validated bits only; not enforced)"; }

private:
    static constexpr uint64_t kMaxPages = (uint64_t{4} << 30) / 4096;
    bool get(uint64_t pfn) const { return validated_[pfn / 64] >> (pfn % 64) & 1; }
    void put(uint64_t pfn, bool v) {
        if (v) {
            validated_[pfn / 64] |= uint64_t{1} << (pfn % 64);
        } else {
            validated_[pfn / 64] &= ~(uint64_t{1} << (pfn % 64));
        }
    }
    const GuestMemory& guest_;
    uint64_t validated_[kMaxPages / 64]{};
};

}  // namespace snp_host
