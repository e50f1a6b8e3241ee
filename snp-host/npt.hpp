// The nested page tables: guest memory seen twice, as on SNP with the C-bit
// at 47 (probe section 4): GPA g (shared view) and g | 1 << 47 (private
// view) both reach HPA hpa_base + g. 2 MiB leaves, user bit set (nested
// walks are user accesses: probe section 1). Anything else is absent, so a
// guest access outside guest memory is a nested page fault the host reports.
#pragma once

#include "guest_memory.hpp"

namespace snp_host {

inline constexpr uint64_t kCBitMask = uint64_t{1} << 47;

// The nested CR3.
uint64_t build_nested_tables(const GuestMemory& guest);

}  // namespace snp_host
