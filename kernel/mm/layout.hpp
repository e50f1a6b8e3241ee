// The kernel half of every address space (DESIGN section 4), and the one
// conversion from physical to virtual addresses the kernel uses.
#pragma once

#include "warden/addr.hpp"

namespace warden::mm {

inline constexpr uint64_t kDirectMapBase = 0xffff800000000000;  // + PA: all SVSM RAM, NX
inline constexpr uint64_t kStacksBase = 0xffffff0000000000;     // stacks, each with a guard page below
inline constexpr uint64_t kStacksEnd = 0xffffff7000000000;
inline constexpr uint64_t kMmioBase = 0xffffff7000000000;  // device registers (local APIC), uncached
inline constexpr uint64_t kMmioEnd = 0xffffff8000000000;
inline constexpr uint64_t kWindowsBase = 0xffffff8000000000;  // per-CPU guest-page windows (later)
inline constexpr uint64_t kKernelBase = 0xffffffff80000000;   // image: VA = link address + kKernelBase

// Until the kernel address space is live the boot page table's identity map
// is the only way to physical memory (boot::info().identity); afterwards the
// direct map.
extern uint64_t phys_window_offset;

// The image runs at its link addresses; its pages are where the boot put
// them, link address + image_load_offset: 0 on the PVH and firmware boots
// (loaded where linked), the SVSM memory's base minus the link address
// under IGVM (docs/igvm.md, "Guest physical layout"). Set once, by
// boot::load, before anything asks.
extern uint64_t image_load_offset;

// Physical address of an object in the kernel image.
inline PhysAddr image_phys(const volatile void* va) {
    return PhysAddr(reinterpret_cast<uint64_t>(va) - kKernelBase + image_load_offset);
}

template <typename T = void>
T* phys_to_virt(PhysAddr pa) {
    return reinterpret_cast<T*>(pa.raw() + phys_window_offset);
}

// Only for pointers into the direct map (heap objects, page tables).
inline PhysAddr direct_map_to_phys(const void* p) { return PhysAddr(reinterpret_cast<uint64_t>(p) - kDirectMapBase); }
inline bool in_direct_map(const void* p) {
    const auto v = reinterpret_cast<uint64_t>(p);
    return v >= kDirectMapBase && v < kStacksBase;
}

}  // namespace warden::mm
