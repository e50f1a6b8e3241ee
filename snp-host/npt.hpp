// The nested page tables: guest memory seen twice, as on SNP with the C-bit
// at 47 (probe section 4): GPA g (shared view) and g | 1 << 47 (private
// view) both reach HPA hpa_base + g, each with the rights the RMP gives it.
// The user bit is set on every entry (nested walks are user accesses: probe
// section 1). Nothing outside guest RAM is mapped, so an access there is a
// nested page fault the host turns into MMIO (#VC) or reports.
#pragma once

#include "guest_memory.hpp"

namespace snp_host {

inline constexpr uint64_t kCBitMask = uint64_t{1} << 47;

// Nested page tables derived from the RMP (VMPL0's view, the only VMPL
// modelled): 4 KiB leaves, one per RMP entry page, in host memory at
// kRmpNptStorage. The rights function gives each page's rights for both aliases;
// npt_refresh rewrites the leaves of [gpa, gpa + bytes) after an RMP change.
inline constexpr uint64_t kRmpNptStorage = uint64_t{40} << 20, kRmpNptStorageBytes = uint64_t{8} << 20;

struct LeafRights {
    bool present = false, writable = false, executable = false;
};
struct PageRights {
    LeafRights private_alias, shared_alias;
};
using RightsFn = PageRights (*)(void* context, uint64_t gpa);

uint64_t build_rmp_nested_tables(const GuestMemory& guest, RightsFn rights, void* context);
void npt_refresh(uint64_t gpa, uint64_t bytes);

}  // namespace snp_host
