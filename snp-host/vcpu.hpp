// One emulated SNP vCPU context (vCPU, VMPL) and what its exits need: the
// VMCB built from its VMSA, the guest's registers, the GHCB MSR and
// registered GHCB, and the host-wide machine it runs in. Each vCPU has up to
// four, one per VMPL (APM vol. 2 15.36.7); RUN_VMPL switches between them
// (GHCB spec 56421 4.1.13).
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>

#include "guest_memory.hpp"
#include "rmp_seam.hpp"
#include "vmcb.hpp"
#include "warden/igvm/kvm_vmsa.hpp"
#include "warden/result.hpp"
#include "warden/svm/guest_walk.hpp"

namespace snp_host {

// entry.S svm_run's layout.
struct GuestGprs {
    uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};

struct Counters {
    uint64_t exits = 0, vmgexits = 0, vc = 0, npf = 0, msr_protocol = 0, ghcb_page = 0, pvalidate = 0, rmpadjust = 0;
    uint64_t run_vmpl = 0;  // switches away from this context by RUN_VMPL
    Counters& operator+=(const Counters& o);
};

struct Machine {
    GuestMemory guest;
    RmpSeam* rmp = nullptr;
    bool ready_seen = false;  // Warden's "warden: ready" line went through the host's COM1
    bool ready_pending_report = false;
    unsigned vcpus = 1;
};

// A context's x87/SSE/AVX state and XCR0, which VMRUN does not switch (SEV-ES
// hardware keeps both per VMSA): saved and restored by the host at each
// RUN_VMPL switch. All zeroes is the init state (XSTATE_BV 0).
inline constexpr size_t kXsaveAreaBytes = 4096;
struct ExtendedState {
    alignas(64) uint8_t area[kXsaveAreaBytes];
    uint64_t xcr0 = 1;  // x87, as at reset
};

struct Vcpu {
    alignas(4096) uint8_t vmcb_page[4096];
    alignas(4096) uint8_t host_save[4096];  // VMSAVE area of the host's hidden state
    ExtendedState fpu{};
    GuestGprs gprs{};
    unsigned index = 0, vmpl = 0;
    uint64_t ghcb_msr = 0;             // the guest's GHCB MSR (held by the host: never a #VC)
    uint64_t ghcb_gpa = ~uint64_t{0};  // registered GHCB (GHCB MSR 0x012), all ones: none
    uint64_t sev_features = 0;
    Counters count;
    Machine* machine = nullptr;
    // VMPL 1-3: the VMSA page AP creation named, where this context's state
    // lives while it does not run (the CPU keeps a VMPL's state in its VMSA
    // page between runs), all ones when none; `registered` counts creations,
    // `loaded` the one the VMCB was last built for (both on the owning CPU
    // but for the creation, which another vCPU may make).
    std::atomic<uint64_t> vmsa_gpa{~uint64_t{0}};
    std::atomic<uint64_t> registered{0};
    uint64_t loaded = 0;
    Vcpu* switch_to = nullptr;  // Next::kSwitch: the context RUN_VMPL runs next
    vmcb::Vmcb vmcb() { return vmcb::Vmcb(vmcb_page); }
};

// What an exit handler decides.
enum class Next { kResume, kStop, kSwitch };

void vcpu_init(Vcpu& v, Machine& m, const warden::igvm::VmsaPage& vmsa);
[[noreturn]] void vcpu_run(Vcpu& v);

// Why a VMSA page cannot be run at `vmpl` (what VMRUN and AP creation check:
// SEV_FEATURES with SNPActive, equal to `features` when given, the VMSA's
// VMPL field, EFER.SVME); nullptr when it can.
const char* vmsa_refusal(const warden::igvm::VmsaPage& vmsa, unsigned vmpl, const uint64_t* features);
// RUN_VMPL from `v` (VMPL0 to a VMPL 1-3 context of the same vCPU that AP
// creation registered, or back to VMPL0): nullptr and v.switch_to set, or
// why not (the request is answered with an error, the run goes on).
const char* prepare_run_vmpl(Vcpu& v, unsigned target);
// Whether a host CPU runs this context now (between its VMRUNs included).
bool context_running(const Vcpu& c);

// Guest memory through the guest's own page tables (vcpu.cpp).
bool read_guest_virt(Vcpu& v, uint64_t gva, void* out, size_t len);
bool write_guest_virt(Vcpu& v, uint64_t gva, const void* in, size_t len);

// A rule the hardware enforces was broken: one loud line, then the run ends.
Next refuse(Vcpu& v, uint64_t gpa, std::string_view why);
[[noreturn]] void stop_machine(Vcpu& v, bool pass);
// The world switches each vCPU has made so far, one line per vCPU.
void report_counters(Machine& m, std::string_view when);

// vmgexit.cpp: VMGEXIT through the GHCB MSR protocol or the GHCB page.
Next serve_vmgexit(Vcpu& v);
// port_io.cpp: a port access the guest asked for through the GHCB.
bool port_io(Vcpu& v, uint16_t port, unsigned size, bool in, uint32_t& value);

}  // namespace snp_host
