// The RMP model of lib/warden/snp (docs/snp-host.md, "The RMP model") behind
// the host's seam: one table over the host pages of guest RAM and of the
// flash's capacity (guest_memory.hpp), in host memory at kRmpStorage. Guest
// RAM starts assigned to the guest and private in 2 MiB entries (KVM's
// guest_memfd memory is private by default), the launch validates its pages
// through the PSP's launch update (PSMASHing the 2 MiB entry first); the
// flash's pages stay the hypervisor's until the launch places the firmware
// in them (each made private 4 KiB, then launch-updated, as KVM's
// sev_gmem_post_populate does). Page-state changes are RMPUPDATEs (of RAM:
// the flash is not converted), and PVALIDATE/RMPADJUST
// are the model's, with a PSMASH and one retry where the model raises the
// size-mismatch #NPF, as KVM answers it.
// Guest accesses are checked through nested views derived from it, one per
// VMPL (npt.hpp, Rmp::npt_view).
#pragma once

#include "npt.hpp"
#include "rmp_seam.hpp"
#include "warden/snp/rmp.hpp"

namespace snp_host {

// Host memory for the table: 32..64 MiB (paging.hpp: the host owns 0..128 MiB).
inline constexpr uint64_t kRmpStorage = uint64_t{32} << 20, kRmpStorageBytes = uint64_t{32} << 20;

class ModelRmp final : public RmpSeam {
public:
    // false when the table does not fit its storage. g is the machine's,
    // read again later: the launch sets its flash_size.
    bool init(const GuestMemory& g);
    warden::Result<void> launch_page(uint64_t gpa) override;
    PvalidateOutcome pvalidate(unsigned vmpl, uint64_t gpa, uint32_t ecx, uint32_t edx) override;
    PvalidateOutcome rmpadjust(unsigned vmpl, uint64_t gpa, uint64_t rcx, uint64_t rdx) override;
    const char* page_state_change(uint64_t gpa, bool huge, bool to_private) override;
    bool is_vmsa(uint64_t gpa) const override;
    // Why the RMP refuses an access the nested tables faulted on (#NPF in guest
    // RAM); allowed when only the nested view was stricter (an NPT limit).
    PvalidateOutcome explain_access(unsigned vmpl, uint64_t gpa, bool c_bit, bool write, bool fetch, bool page_walk,
                                    bool user) const override;
    uint64_t nested_root(unsigned vmpl, bool paging) override;
    bool use_shared_alias(uint64_t gpa, bool page_walk) override;
    bool share_on_fault(uint64_t gpa) override;
    const char* host_access(uint64_t gpa, uint64_t len, bool write) const override;
    bool smash_for_access(uint64_t gpa) override;
    // The nested view of one page at one VMPL, for npt.cpp.
    static PageRights rights(void* self, unsigned vmpl, uint64_t gpa);
    const char* name() const override {
        return "the RMP model (lib/warden/snp), enforced through one nested view per VMPL (npt_view, 4 KiB "
               "leaves)";
    }

private:
    // 0 (uncovered: the hypervisor's) for a GPA with no host page behind it.
    warden::PhysAddr spa(uint64_t gpa) const { return warden::PhysAddr(g_->hpa(gpa)); }
    bool smash_if_2m(uint64_t gpa);
    template <typename Run>
    PvalidateOutcome instruction(uint64_t gpa, Run run);
    alignas(warden::snp::Rmp) unsigned char storage_[sizeof(warden::snp::Rmp)];
    warden::snp::Rmp* rmp_ = nullptr;
    const GuestMemory* g_ = nullptr;
};

}  // namespace snp_host
