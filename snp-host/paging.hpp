// The host's own address space and memory plan (docs/snp-host.md, "Boot and
// launch"): identity-mapped, the image with per-section rights (text RX,
// rodata R, data RW, nothing W+X), page 0 and every stack's guard page
// unmapped, the rest of the low 4 GiB RW and NX (the top GiB uncached: MMIO).
// The host owns [0, kHostMemoryEnd); guest RAM is the rest of QEMU's RAM.
#pragma once

#include <cstdint>

namespace snp_host {

inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kHostMemoryEnd = 64 * kMiB;
// Where fw_cfg DMA puts the IGVM file (host memory, never guest-visible).
inline constexpr uint64_t kIgvmBuffer = 16 * kMiB, kIgvmBufferSize = 16 * kMiB;

void paging_init();
uint64_t exception_stack_top(unsigned index);  // IST stacks 0 and 1
bool is_stack_guard(uint64_t address);

}  // namespace snp_host
