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

#include "chipset.hpp"
#include "guest_memory.hpp"
#include "legacy_irq.hpp"
#include "rmp_seam.hpp"
#include "vmcb.hpp"
#include "warden/igvm/kvm_vmsa.hpp"
#include "warden/result.hpp"
#include "warden/svm/guest_walk.hpp"
#include "warden/svm/mtrr.hpp"
#include "warden/svm/xapic.hpp"

namespace snp_host {

// entry.S svm_run's layout.
struct GuestGprs {
    uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};

struct Counters {
    uint64_t exits = 0, vmgexits = 0, vc = 0, npf = 0, msr_protocol = 0, ghcb_page = 0, pvalidate = 0, rmpadjust = 0;
    uint64_t run_vmpl = 0;   // switches away from this context by RUN_VMPL
    uint64_t preempted = 0;  // ... of them to VMPL0 on a physical interrupt, no call asked (legacy_irq.hpp)
    uint64_t unchanged = 0;  // PVALIDATEs answered CF=1: the page already had that state
    Counters& operator+=(const Counters& o);
};

struct Machine {
    GuestMemory guest;
    RmpSeam* rmp = nullptr;
    // Warden's "warden: ready" line went through the host's COM1 (set under
    // the console lock), and its counters are still to be printed (by the
    // first vCPU to take the flag, after its exit).
    std::atomic<bool> ready_seen{false};
    bool selftest_void = false;  // fw_cfg selftest "void" (main.cpp): the BSP's first exit looks broken
    std::atomic<bool> ready_pending_report{false};
    unsigned vcpus = 1;
    Chipset chipset;       // the guest's PCI configuration space and PM block (chipset.hpp)
    LegacyIrq legacy_irq;  // the guest VMPLs' PIT and PICs (legacy_irq.hpp)
    // The AP jump table's GPA (GHCB spec 4.1.9, 0x80000005): the VM's one
    // value, set by the guest's firmware for its OS, as KVM keeps it.
    std::atomic<uint64_t> ap_jump_table{0};
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
    // page between runs). One atomic word, so that a reader never pairs one
    // creation's page with another's count: the page's GPA | the creation's
    // number (low 12 bits), or kNoVmsa. `creations` is the creators' count
    // (AP creation is serialised by the console lock); `loaded` the word the
    // VMCB was last built for (the owning CPU's).
    static constexpr uint64_t kNoVmsa = ~uint64_t{0};
    std::atomic<uint64_t> vmsa{kNoVmsa};
    uint64_t creations = 0;
    uint64_t loaded = kNoVmsa;
    // AP destruction (or a new creation) since this context's VMCB was built.
    bool vmsa_changed() const { return vmsa.load(std::memory_order_acquire) != loaded; }
    uint64_t vmsa_gpa() const {
        const uint64_t w = vmsa.load(std::memory_order_acquire);
        return w == kNoVmsa ? kNoVmsa : w & ~uint64_t{0xfff};
    }
    uint64_t switched_in_tsc = 0;  // TSC of the switch that last made it run (vcpu.cpp slice_over)
    Vcpu* switch_to = nullptr;     // Next::kSwitch: the context RUN_VMPL runs next
    uint64_t npf_retry_gpa = ~uint64_t{0}, npf_retry_rip = 0;  // the #NPF last retried (on_npf)
    // The context's nested roots with paging on and off (npt.hpp), and which
    // one its VMCB holds: chosen before each VMRUN by the guest's CR0.PG.
    uint64_t root_paged = 0, root_unpaged = 0;
    uint64_t implicit_shares = 0;    // pages made shared on a shared fault (on_npf)
    uint64_t run_vmpl_refusals = 0;  // RUN_VMPLs from this context answered with an error
    bool noted_version_0 = false;    // a GHCB page with protocol version 0 was said once
    // The context's MTRRs, written through the GHCB (KVM keeps one set per
    // vCPU; here each VMPL's context has its own: Warden's VMPL0 writes none).
    warden::svm::Mtrrs mtrrs;
    // VMPL 1-3: the context's own xAPIC registers (svm/xapic.hpp), made at
    // its first access with the host CPU's ID and version; VMPL0 reaches
    // the host CPU's xAPIC itself.
    warden::svm::VirtualXapic xapic{0, 0};
    bool xapic_made = false, said_xapic_ipi = false, said_hlt_if0 = false;
    uint32_t said_xapic_lvt = 0;  // the LVT timer setting last said armed
    vmcb::Vmcb vmcb() { return vmcb::Vmcb(vmcb_page); }
};

// Ends the run as void (console.hpp kExitVoid): L1's emulation did what no
// CPU does, so nothing the run would show is a verdict (vcpu.cpp).
[[noreturn]] void void_run(Vcpu& v, std::string_view what);

// What an exit handler decides.
// kPark: AP reset hold, the vCPU waits for AP creation to restart it.
enum class Next { kResume, kStop, kSwitch, kPark };

void vcpu_init(Vcpu& v, Machine& m, const warden::igvm::VmsaPage& vmsa);
// Runs the vCPU until its VMPL0 parks it by AP reset hold (an AP only).
void vcpu_run(Vcpu& v);
// The running context's x87/SSE/AVX state and XCR0 into its own area, and
// back: around the host's own use of SSE (the PSP's crypto, psp.hpp), as
// at a RUN_VMPL switch.
void save_vector_state(Vcpu& v);
void restore_vector_state(const Vcpu& v);
// AP reset hold (GHCB MSR 0x006, GHCB page 0x80000004) from `v`: kPark, or
// the refusal when `v` is not an AP's VMPL0.
Next ap_reset_hold(Vcpu& v);

// Why a VMSA page cannot be run at `vmpl` (what VMRUN and AP creation check:
// SEV_FEATURES with SNPActive, equal to `features` when given, the VMSA's
// VMPL field, EFER.SVME); nullptr when it can.
const char* vmsa_refusal(const warden::igvm::VmsaPage& vmsa, unsigned vmpl, const uint64_t* features);
// VMRUN's view of the VMSA page at gpa: a VMSA page in the RMP, copied (the
// copy is checked, never the page: the guest may change it meanwhile), then
// vmsa_refusal. nullptr, or why VMRUN would fail.
const char* copy_checked_vmsa(const Machine& m, uint64_t gpa, unsigned vmpl, const uint64_t* features,
                              warden::igvm::VmsaPage& out);
// RUN_VMPL from `v` (VMPL0 to a VMPL 1-3 context of the same vCPU that AP
// creation registered, or back to VMPL0): nullptr and v.switch_to set, or
// why not (the request is answered with an error, the run goes on).
const char* prepare_run_vmpl(Vcpu& v, unsigned target);
// Whether a host CPU runs this context now (between its VMRUNs included).
bool context_running(const Vcpu& c);
// A VMPL 1-3 context whose VMSA AP destruction took while it ran (its VMSA
// word is not the one it was loaded from) leaves it: its vCPU's VMPL0 runs,
// as after any RUN_VMPL back (kSwitch). Its state goes into no page.
Next leave_destroyed(Vcpu& v);

// A rule the hardware enforces was broken: one loud line, then the run ends.
Next refuse(Vcpu& v, uint64_t gpa, std::string_view why);
[[noreturn]] void stop_machine(Vcpu& v, bool pass);
// The world switches each vCPU has made so far, one line per vCPU.
void report_counters(Machine& m, std::string_view when);

// vmgexit.cpp: VMGEXIT through the GHCB MSR protocol or the GHCB page.
Next serve_vmgexit(Vcpu& v);
// port_io.cpp: a port access the guest asked for through the GHCB.
bool port_io(Vcpu& v, uint16_t port, unsigned size, bool in, uint32_t& value);
// COM1 output goes out a line at a time per context (port_io.cpp): a
// context's partial line once it has waited long enough (after each of its
// exits), and every context's at the end of the run.
void flush_old_console_line(Vcpu& v);
void flush_console_lines(Machine& m);
// The VM's fw_cfg etc/e820 (port_io.cpp): its RAM, not L1's; after the
// launch, with L1's directory read. kNotFound when L1 lists no etc/e820.
warden::Result<void> fw_cfg_guest_init(const GuestMemory& guest);

}  // namespace snp_host
