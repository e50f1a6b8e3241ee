// The kernel address space (DESIGN section 4): a new PML4 with the image
// mapped section by section with its own rights, the direct map of all RAM
// (NX), stacks with unmapped guard pages; and the audit that proves no page is
// both writable and executable.
#pragma once

#include "warden/memmap.hpp"
#include "warden/mm/page_table.hpp"

namespace warden::mm {

// Maps one page of device registers (uncached, global, no C-bit: the
// device is not private memory) at the next free page of the MMIO range.
Result<VirtAddr> map_device_page(PhysAddr page);

// Builds the kernel address space and loads it (sets EFER.NXE, CR4.PGE,
// CR0.WP). From here on physical memory is reached through the direct map.
// ram: what the direct map covers; encryption_mask: the platform's C-bit
// (0 on native), carried by every private leaf and table.
Result<void> build_kernel_address_space(const MemoryMap& ram, uint64_t encryption_mask);

// The kernel half's mapper (live tables; changes are invalidated locally,
// and on every CPU once SMP exists).
Mapper& kernel_mapper();

// Called for every changed kernel page after the local invlpg: SMP installs
// the cross-CPU shootdown here.
void set_remote_invalidate(void (*hook)(VirtAddr));

struct AuditResult {
    uint64_t leaves_4k = 0, leaves_2m = 0, leaves_1g = 0;
    uint64_t writable_and_executable = 0;
    uint64_t executable_direct_map = 0;
    VirtAddr first_bad;  // first offending page, if any
    bool ok() const { return writable_and_executable == 0 && executable_direct_map == 0; }
};

// Walks the live page tables (from CR3).
AuditResult audit_kernel_address_space();

}  // namespace warden::mm
