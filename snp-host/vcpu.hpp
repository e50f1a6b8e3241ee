// One emulated SNP vCPU context (vCPU, VMPL) and what its exits need: the
// VMCB built from the VMSA the launch measured, the guest's registers, the
// GHCB MSR and registered GHCB, and the host-wide machine it runs in.
#pragma once

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
};

struct Machine {
    GuestMemory guest;
    RmpSeam* rmp = nullptr;
    uint64_t nested_cr3 = 0;
    bool ready_seen = false;  // Warden's "warden: ready" line went through the host's COM1
    bool ready_pending_report = false;
    unsigned vcpus = 1;
};

struct Vcpu {
    alignas(4096) uint8_t vmcb_page[4096];
    alignas(4096) uint8_t host_save[4096];  // VMSAVE area of the host's hidden state
    GuestGprs gprs{};
    unsigned index = 0, vmpl = 0;
    uint64_t ghcb_msr = 0;             // the guest's GHCB MSR (held by the host: never a #VC)
    uint64_t ghcb_gpa = ~uint64_t{0};  // registered GHCB (GHCB MSR 0x012), all ones: none
    uint64_t sev_features = 0;
    Counters count;
    Machine* machine = nullptr;
    vmcb::Vmcb vmcb() { return vmcb::Vmcb(vmcb_page); }
};

// What an exit handler decides.
enum class Next { kResume, kStop };

void vcpu_init(Vcpu& v, Machine& m, const warden::igvm::VmsaPage& vmsa);
[[noreturn]] void vcpu_run(Vcpu& v);

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
