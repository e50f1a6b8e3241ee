// The harness guest's per-vCPU state: one area of pages per vCPU in the
// image's bss (page tables, IDT, GHCB, the pages its SVSM calls name, its
// stack), found from the stack pointer, so no vCPU needs a per-CPU register.
#pragma once

#include <cstddef>
#include <cstdint>

#include "warden/sev/cpuid_table.hpp"
#include "warden/sev/ghcb.hpp"
#include "warden/svsm/guest_entry.hpp"

namespace harness {

inline constexpr size_t kMaxVcpus = 8;              // entry.S MAX_VCPUS
inline constexpr uint64_t kScratchSize = 0x400000;  // entry.S SCRATCH_SIZE: 4 KiB pages per vCPU, one 2 MiB
inline constexpr uint64_t kPage = 4096;

struct alignas(4096) VcpuArea {
    uint64_t pml4[512], pdpt[512], pd[4][512], pt[512];  // 0..4 GiB; pt: the first 2 MiB (the image)
    uint64_t idt[512];                                   // 32 gates of 16 bytes, the rest zero
    warden::sev::Ghcb ghcb;                              // shared once set up
    uint8_t remap_caa[4096], list[4096], vmsa[4096], vcpu_caa[4096];
    uint8_t stack[16384];
};
inline constexpr size_t kVcpuAreaSize = 0x11000;  // entry.S VCPU_AREA_SIZE
static_assert(sizeof(VcpuArea) == kVcpuAreaSize);

// What one vCPU knows about itself, on its own stack in harness_main.
struct Vcpu {
    VcpuArea* area = nullptr;
    warden::svsm::entry::BootPage boot;
    uint64_t c_bit = 0;      // the page-table mask
    uint8_t vmpl = 0;        // from the secrets page
    uint64_t svsm_base = 0;  // SVSM memory, for the calls that must be refused there
    uint64_t sev_features = 0;
    const warden::sev::CpuidTable* cpuid = nullptr;
    bool ghcb_ready = false;  // shared, zeroed and registered
    bool in_vc = false;
    bool probing = false, probe_faulted = false;
    uint64_t caa = 0;  // the current Calling Area's GPA
};

extern "C" VcpuArea vcpu_areas[kMaxVcpus];

// This vCPU's state: its area is the one its stack is in.
Vcpu& current();
void set_current(Vcpu& v);

// GPA (= GVA: the image identity-maps) of something in the image.
inline uint64_t gpa_of(const void* p) { return reinterpret_cast<uint64_t>(p); }

// Ends the guest through the GHCB MSR protocol (reason set 0 or the
// harness's set 4, GHCB spec 56421 2.3.1).
inline constexpr uint8_t kReasonSetHarness = 4;
[[noreturn]] void terminate(uint8_t reason_set, uint8_t reason);

}  // namespace harness
