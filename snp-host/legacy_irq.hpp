// The VM's own 8254 PIT and 8259 PICs for the guest's VMPLs (docs/snp-host.md,
// "The guest's PIT and PICs, and whose interrupts are whose"): lib's register
// models, one per machine under their own lock, reached by port accesses of
// VMPL 1-3 (VMPL0's still go to L1's devices); IRQ0 and each context's own
// xAPIC timer injected into the guest's context only, never into VMPL0.
#pragma once

#include <cstdint>

#include "warden/spinlock.hpp"
#include "warden/svm/pic.hpp"
#include "warden/svm/pit.hpp"

namespace snp_host {

struct Vcpu;
enum class Next;

struct LegacyIrq {
    warden::SpinLock lock;  // every vCPU's accesses and deliveries: one chip set
    warden::svm::Pit pit;
    warden::svm::PicPair pic;
    bool said_pit = false, said_pic = false;
};

// The guest's time in nanoseconds since the machine's start (the clock of
// its xAPIC timers, QEMU's 1 GHz APIC clock).
uint64_t guest_ns(const Vcpu& v);
// A port access of a VMPL 1-3 context to the PIT (0x40-0x43, 0x61), the
// PICs (0x20, 0x21, 0xa0, 0xa1) or the ELCR (0x4d0, 0x4d1): true, with value
// filled for an IN. VMPL0's accesses are never claimed.
bool legacy_irq_io(Vcpu& v, uint16_t port, unsigned size, bool in, uint32_t& value);
// Before each VMRUN of a VMPL 1-3 context that can take an interrupt (IF=1,
// no shadow, no exception to inject): IRQ0's edges up to now into the PICs
// and the context's xAPIC timer expiries into its IRR, then the vector to
// deliver (the PICs' through an open virtual wire on the BSP, else its
// xAPIC's) acknowledged and injected by EVENTINJ.
void legacy_irq_before_vmrun(Vcpu& v);
// HLT of a VMPL 1-3 context: waits until, with IF=1, the PICs or its xAPIC
// have a vector for it (kResume past the HLT), or a physical interrupt is
// pending in L1's local APIC, or AP destruction took its VMSA (kSwitch to
// VMPL0, past the HLT). With IF=0 only the last two end the wait, as only
// an NMI, INIT or SMI (none modelled for a guest VMPL) would on the CPU.
Next legacy_irq_halt(Vcpu& v);
// INTR #VMEXIT of a VMPL 1-3 context: the physical interrupt is VMPL0's.
Next legacy_irq_physical(Vcpu& v);

}  // namespace snp_host
