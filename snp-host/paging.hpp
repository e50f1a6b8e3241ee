// The host's own address space and memory plan (docs/snp-host.md, "Boot and
// launch"): identity-mapped, the image with per-section rights (text RX,
// rodata R, data RW, nothing W+X), page 0 and every stack's guard page
// unmapped, the rest of the low 4 GiB RW and NX (the top GiB uncached: MMIO).
// The host owns [0, kHostMemoryEnd); guest RAM is the rest of QEMU's RAM.
#pragma once

#include <cstdint>

namespace snp_host {

inline constexpr uint64_t kMiB = uint64_t{1} << 20;
// 0..16 MiB the image, stacks and tables; 16..32 the IGVM file; 32..64 the
// RMP (rmp_model.hpp); 64..128 the nested views (npt.hpp).
inline constexpr uint64_t kHostMemoryEnd = 128 * kMiB;
// Where fw_cfg DMA puts the IGVM file (host memory, never guest-visible).
inline constexpr uint64_t kIgvmBuffer = 16 * kMiB, kIgvmBufferSize = 16 * kMiB;

// One host CPU per vCPU (QEMU -smp), at most this many (issue 16: 1 to 8).
inline constexpr unsigned kMaxCpus = 8;
// Host memory below 1 MiB for the AP trampoline (RX once paging_init ran)
// and its parameter page (RW), both host-owned (docs/snp-host.md).
inline constexpr uint64_t kApTrampoline = 0x8000, kApParams = 0x9000;

void paging_init();
uint64_t host_cr3();
// Per CPU: 0 the AP's own stack (the BSP runs on the image's), 1 IST1 (every
// exception), 2 IST2 (#DF); each behind an unmapped guard page.
uint64_t stack_top(unsigned cpu, unsigned which);
bool is_stack_guard(uint64_t address);

}  // namespace snp_host
