// The nested page tables: guest memory (RAM, the flash, the IGVM memory) seen twice, as on SNP with the C-bit
// at 47 (probe section 4): GPA g (shared view) and g | 1 << 47 (private
// view) both reach HPA hpa_base + g, each with the rights the RMP gives it.
// The user bit is set on every entry (nested walks are user accesses: probe
// section 1). Nothing outside guest RAM is mapped, so an access there is a
// nested page fault the host turns into MMIO (#VC) or reports.
#pragma once

#include "guest_memory.hpp"

namespace snp_host {

inline constexpr uint64_t kCBitMask = uint64_t{1} << 47;
inline constexpr unsigned kVmpls = 4;

// One set of nested page tables per VMPL, each derived from the RMP for that
// VMPL (APM vol. 2 15.36.7: every VMPL has its own permissions in each RMP
// entry): 4 KiB leaves, one per RMP entry page, in host memory at
// kRmpNptStorage, a quarter each. VMPL0's view is built at start, the others
// when the first context of that VMPL is created (each view's rewrite costs
// every RMP change). The rights function gives each page's rights for both
// aliases at one VMPL; npt_refresh rewrites the leaves of [gpa, gpa + bytes)
// in every view built, after an RMP change.
inline constexpr uint64_t kRmpNptStorage = uint64_t{64} << 20, kRmpNptStorageBytes = uint64_t{64} << 20;

struct LeafRights {
    bool present = false, writable = false, executable = false;
};
struct PageRights {
    LeafRights private_alias, shared_alias;
};
using RightsFn = PageRights (*)(void* context, unsigned vmpl, uint64_t gpa);

// Records guest memory and the rights function, and builds VMPL0's view.
// Fails the run when a view of this guest would not fit its storage.
void npt_init(const GuestMemory& guest, RightsFn rights, void* context);
// The nested CR3 of a VMPL's view, built on first use. Called with the RMP
// held still (the seam's lock), as npt_refresh is. paging false: the
// view's unpaged root, for a context with CR0.PG clear, whose every access
// is private: its low half is the private alias too.
uint64_t npt_root(unsigned vmpl, bool paging);
void npt_refresh(uint64_t gpa, uint64_t bytes);
// The first shared-alias access to a page the hypervisor does not own, or
// a page walk through one used for data so far: the leaf becomes what the
// access needs (npt.cpp, shared_use). false when nothing changed.
bool npt_use_shared_alias(uint64_t gpa, bool page_walk);
// The largest guest RAM the views fit beside other_bytes of host pages (the
// flash's capacity and the IGVM memory; the host caps guest RAM to it).
uint64_t npt_max_guest_bytes(uint64_t other_bytes);

}  // namespace snp_host
