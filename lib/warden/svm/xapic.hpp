// A guest VMPL's own local APIC registers (Intel SDM vol. 3 11.4.1 table
// 11-1, the xAPIC page at 0xfee00000), as the emulated SNP host keeps them
// so that a lower VMPL never reaches the host CPU's APIC, which VMPL0 owns.
// Every register is kept as written (reserved bits as QEMU's apic.c clears
// them), ID and version are the host's; the timer counts as QEMU's does
// (hw/intc/apic.c: 1 GHz divided by the divide configuration, one-shot or
// periodic), from the caller's time in nanoseconds. The timer's interrupt
// is the one source: its expiries set the LVT vector's IRR bit, the caller
// delivers the highest pending vector above the processor priority (SDM
// 11.8.3) and acknowledges it (IRR to ISR), an EOI clears the highest ISR
// bit (11.8.5). Not modelled: LINT0/1 and error interrupts, and IPIs (the
// caller is told of an ICR write).
#pragma once

#include <array>
#include <cstdint>

namespace warden::svm {

inline constexpr uint32_t kXapicId = 0x20, kXapicVersion = 0x30, kXapicTpr = 0x80, kXapicPpr = 0xa0, kXapicEoi = 0xb0,
                          kXapicSvr = 0xf0, kXapicIcrLow = 0x300, kXapicIcrHigh = 0x310, kXapicLvtTimer = 0x320,
                          kXapicLvtError = 0x370, kXapicTimerInitial = 0x380, kXapicTimerCurrent = 0x390,
                          kXapicTimerDivide = 0x3e0;
inline constexpr uint32_t kXapicLvtMasked = 1u << 16, kXapicTimerPeriodic = 1u << 17;

struct XapicWrite {
    bool ipi = false;          // an ICR write: the guest asks for an IPI
    bool timer_armed = false;  // the timer now counts with its LVT unmasked: it asks for interrupts
};

class VirtualXapic {
public:
    VirtualXapic(uint32_t id, uint32_t version);
    // A 32-bit access at `offset` (16-byte aligned, below 0x1000); now in ns.
    uint32_t read(uint32_t offset, uint64_t now) const;
    XapicWrite write(uint32_t offset, uint32_t value, uint64_t now);
    uint32_t timer_current(uint64_t now) const;
    // The timer's expiries up to `now` into IRR (one pending at most, as a
    // real IRR bit); then the vector to deliver, if one beats the PPR.
    void update(uint64_t now);
    int pending_vector() const;  // -1: none
    void acknowledge(uint8_t vector);
    // LINT0 as the 8259's virtual wire (ExtINT, unmasked), or the APIC
    // software-disabled (SVR bit 8 clear): the PIC's INT reaches the CPU.
    bool extint_open() const;

private:
    uint64_t expiries(uint64_t now) const;

    std::array<uint32_t, 64> regs_{};  // by offset / 16
    uint64_t timer_loaded_at_ = 0;
    uint64_t timer_expiries_ = 0;  // the expiries since the load already put in IRR
    std::array<uint32_t, 8> irr_{}, isr_{};
    unsigned count_shift_ = 1;  // divide by 2 at reset (divide configuration 0)
};

}  // namespace warden::svm
