// The chipset the hypervisor emulates for the guest's firmware (checks.hpp
// chipset_view): what OVMF's PlatformPei and its ACPI timer library read and
// program, through configuration mechanism #1 (PCI 3.0 3.2.2.3.2; each port
// access one #VC the host serves) -- the host bridge's IDs, a function that
// does not exist, PMBA and PMREGMISC of the PIIX4 PM function (EDK2
// I440FxPiix4.h), and the ACPI PM timer at PMBA + 8 against the TSC.
#include <cstdint>

#include "checks.hpp"
#include "console.hpp"
#include "cpu.hpp"
#include "tsc.hpp"

namespace harness {

namespace {

constexpr uint16_t kConfigAddress = 0xcf8, kConfigData = 0xcfc;
constexpr uint32_t kEnable = 1u << 31;
constexpr uint8_t kPmba = 0x40, kPmregmisc = 0x80;
constexpr uint16_t kPmBase = 0xb000;  // OVMF's PIIX4_PMBA_VALUE
constexpr uint16_t kPmTimer = 8;
constexpr uint64_t kLowestHz = 2'000'000, kHighestHz = 6'000'000;  // 3.579545 MHz, TCG's TSC is virtual

uint32_t config_address(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
    return kEnable | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}
uint32_t read32(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
    cpu::outl(kConfigAddress, config_address(bus, dev, fn, reg));
    return cpu::inl(kConfigData);
}
uint16_t read16(unsigned dev, unsigned fn, unsigned reg) {
    cpu::outl(kConfigAddress, config_address(0, dev, fn, reg));
    return cpu::inw(static_cast<uint16_t>(kConfigData + (reg & 2)));
}
uint8_t read8(unsigned dev, unsigned fn, unsigned reg) {
    cpu::outl(kConfigAddress, config_address(0, dev, fn, reg));
    return cpu::inb(static_cast<uint16_t>(kConfigData + (reg & 3)));
}
void write32(unsigned dev, unsigned fn, unsigned reg, uint32_t v) {
    cpu::outl(kConfigAddress, config_address(0, dev, fn, reg));
    cpu::outl(kConfigData, v);
}
void write8(unsigned dev, unsigned fn, unsigned reg, uint8_t v) {
    cpu::outl(kConfigAddress, config_address(0, dev, fn, reg));
    cpu::outb(static_cast<uint16_t>(kConfigData + (reg & 3)), v);
}

// The PM timer's rate against the TSC over ~20 ms, as OVMF's timer library
// would count it (24 bits, so the difference is taken modulo 2^24).
uint64_t pm_timer_hz(uint16_t base, uint64_t tsc_hz, uint32_t& first, uint32_t& last) {
    const uint16_t port = base + kPmTimer;
    first = cpu::inl(port);
    const uint64_t start = cpu::rdtsc();
    while (cpu::rdtsc() - start < tsc_hz / 50) cpu::pause();
    last = cpu::inl(port);
    const uint64_t ticks = (last - first) & 0xffffff;
    return per_second(ticks, cpu::rdtsc() - start, tsc_hz);
}

}  // namespace

void chipset_view(Vcpu& v, Tally& t) {
    if (v.boot.vcpu_index != 0) return;
    expect(v, t, "pci: 0:0.0 is the i440FX host bridge, 8086:1237", read32(0, 0, 0, 0) == 0x12378086);
    expect(v, t, "pci: the host bridge's device ID as a word at 0xCFE", read16(0, 0, 2) == 0x1237);
    expect(v, t, "pci: the host bridge's class is 0x060000", read32(0, 0, 0, 8) >> 8 == 0x060000);
    expect(v, t, "pci: 0:1.0 is the PIIX3 ISA bridge, multifunction",
           read32(0, 1, 0, 0) == 0x70008086 && read8(1, 0, 0x0e) == 0x80);
    expect(v, t, "pci: 0:1.3 is the PIIX4 PM function, 8086:7113", read32(0, 1, 3, 0) == 0x71138086);
    expect(v, t, "pci: 0:2.0 and bus 1 do not exist: all ones",
           read32(0, 2, 0, 0) == 0xffffffff && read32(1, 0, 0, 0) == 0xffffffff);
    cpu::outl(kConfigAddress, config_address(0, 0, 0, 0) & ~kEnable);
    expect(v, t, "pci: without CONFIG_ADDRESS's enable bit the data port reads all ones",
           cpu::inl(kConfigAddress) == (config_address(0, 0, 0, 0) & ~kEnable) && cpu::inl(kConfigData) == 0xffffffff);
    write32(0, 0, 0, 0xdeadbeef);
    expect(v, t, "pci: a write to the host bridge's IDs changes nothing", read32(0, 0, 0, 0) == 0x12378086);
    write8(1, 0, 0x60, 0x0b);
    expect(v, t, "pci: PIRQRC[A] takes IRQ 11", read8(1, 0, 0x60) == 0x0b);
    write8(1, 0, 0x60, 0x80);

    // PlatformPei's order: PMBA, PCICMD.IOSE, PMREGMISC.PMIOSE.
    expect(v, t, "pci: no PM block before PMIOSE: its timer port reads all ones",
           cpu::inl(kPmBase + kPmTimer) == 0xffffffff);
    write32(1, 3, kPmba, (read32(0, 1, 3, kPmba) & ~uint32_t{0xffc0}) | kPmBase);
    expect(v, t, "pci: PMBA takes 0xb000, bit 0 reads 1", read32(0, 1, 3, kPmba) == (kPmBase | 1u));
    write8(1, 3, 0x04, static_cast<uint8_t>(read8(1, 3, 0x04) | 1));
    write8(1, 3, kPmregmisc, static_cast<uint8_t>(read8(1, 3, kPmregmisc) | 1));
    expect(v, t, "pci: PMREGMISC.PMIOSE reads back set", (read8(1, 3, kPmregmisc) & 1) == 1);
    const TscRate tsc = calibrate_tsc();
    uint32_t first = 0, last = 0;
    const uint64_t hz = pm_timer_hz(kPmBase, tsc.hz, first, last);
    log("harness: pci: PIIX4 PM IO at {:#x}, PM timer {} Hz against the TSC ({} Hz, from the PIT)", kPmBase, hz,
        tsc.hz);
    expect(v, t, "pci: the PM timer reads 24 bits", first <= 0xffffff && last <= 0xffffff);
    expect(v, t, "pci: the PM timer advances at 2..6 MHz against the TSC", hz >= kLowestHz && hz <= kHighestHz);
}

}  // namespace harness
