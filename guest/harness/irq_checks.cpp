// The VM's interrupt controllers as the hypervisor gives them to the guest
// (checks.hpp interrupt_view): the cascaded 8259s initialised as edk2's
// Legacy8259 does (ICW1 0x11, ICW2 the bases, ICW3 4/2, ICW4 1; 8259A data
// sheet), the 8254's channel 0 in mode 2 at 100 Hz (82C54 data sheet), and
// IRQ0's interrupts counted against the TSC, then none with IRQ0 masked.
#include <atomic>
#include <cstdint>

#include "boot.hpp"
#include "checks.hpp"
#include "console.hpp"
#include "cpu.hpp"
#include "tsc.hpp"

namespace harness {
namespace {

constexpr uint8_t kMasterBase = 0x20, kSlaveBase = 0x28;
constexpr uint16_t kPit0Count = 11932;                // 1193182 Hz / 100
constexpr uint64_t kLowestHz = 30, kHighestHz = 400;  // 100 Hz, TCG's time is loose
constexpr uint64_t kWantTicks = 10;

void init_pics(uint8_t master_mask) {
    cpu::outb(0x20, 0x11);
    cpu::outb(0x21, kMasterBase);
    cpu::outb(0x21, 0x04);
    cpu::outb(0x21, 0x01);
    cpu::outb(0xa0, 0x11);
    cpu::outb(0xa1, kSlaveBase);
    cpu::outb(0xa1, 0x02);
    cpu::outb(0xa1, 0x01);
    cpu::outb(0x21, master_mask);
    cpu::outb(0xa1, 0xff);
}

// HLT with interrupts on until `want` ticks or `limit` TSC cycles: the ticks.
uint64_t wait_ticks(uint64_t want, uint64_t limit, uint64_t& elapsed) {
    irq_ticks.store(0);
    const uint64_t t0 = cpu::rdtsc();
    asm volatile("sti");
    while (irq_ticks.load() < want && cpu::rdtsc() - t0 < limit) asm volatile("hlt");
    asm volatile("cli");
    elapsed = cpu::rdtsc() - t0;
    return irq_ticks.load();
}

}  // namespace

void interrupt_view(Vcpu& v, Tally& t) {
    if (v.boot.vcpu_index != 0) return;  // the PICs' INT reaches the BSP alone
    init_pics(0xfe);
    expect(v, t, "irq: the master 8259's IMR reads back 0xfe after its ICWs", cpu::inb(0x21) == 0xfe);
    cpu::outb(0x43, 0x34);  // channel 0, low then high byte, mode 2
    cpu::outb(0x40, kPit0Count & 0xff);
    cpu::outb(0x40, kPit0Count >> 8);
    const TscRate tsc = calibrate_tsc();
    uint64_t elapsed = 0;
    const uint64_t n = wait_ticks(kWantTicks, tsc.hz * 3, elapsed);
    const uint64_t hz = elapsed == 0 ? 0 : n * tsc.hz / elapsed;
    log("harness: irq: {} IRQ0 interrupts at vector {:#x} in {} TSC cycles: {} Hz (channel 0 at 100 Hz)", n,
        kMasterBase, elapsed, hz);
    expect(v, t, "irq: PIT channel 0 in mode 2 raises IRQ0 at about its rate",
           n >= kWantTicks && hz >= kLowestHz && hz <= kHighestHz);
    cpu::outb(0x21, 0xff);
    const uint64_t masked = wait_ticks(1, tsc.hz / 5, elapsed);
    expect(v, t, "irq: with IRQ0 masked no interrupt arrives", masked == 0);
    cpu::outb(0x43, 0x30);  // channel 0 stopped: a control word with no count
}

}  // namespace harness
