// The local APIC: x2APIC (MSRs) where CPUID offers it, xAPIC (MMIO) otherwise;
// EOI, IPIs and a timer calibrated against the TSC. Register offsets: Intel
// SDM Vol. 3A table 11-1 (xAPIC) and 11-6 (x2APIC MSR = 0x800 + offset / 16).
#pragma once

#include <cstdint>

#include "warden/addr.hpp"
#include "warden/result.hpp"

namespace warden::arch::apic {

inline constexpr uint8_t kTimerVector = 0x30;
inline constexpr uint8_t kShootdownVector = 0xf0;
inline constexpr uint8_t kPingVector = 0xf1;  // IPI round trips (tests, bench)
inline constexpr uint8_t kSpuriousVector = 0xff;
inline constexpr unsigned kTickHz = 100;

enum class Mode : uint8_t { kXApic, kX2Apic };

// BSP: picks the mode, has map_device map the xAPIC page (uncached, no
// C-bit) if it needs it, masks the legacy PIC. map_device is the memory
// manager's, which arch does not include: it answers the page's address.
using MapDevice = Result<VirtAddr> (*)(PhysAddr page);
Result<void> init_bsp(MapDevice map_device);
// Every CPU (BSP included): enables its APIC in the chosen mode.
void init_this_cpu();
Mode mode();
uint32_t this_apic_id();

void eoi();
void send_fixed(uint32_t apic_id, uint8_t vector);
void send_fixed_all_but_self(uint8_t vector);
void send_nmi_all_but_self();
void send_init(uint32_t apic_id);
void send_startup(uint32_t apic_id, uint8_t page);  // SIPI: start at page << 12

// Measures the timer against the TSC once (BSP), then starts a periodic tick
// on the calling CPU at kTickHz.
void calibrate_timer();
void start_timer();
uint64_t timer_hz();

}  // namespace warden::arch::apic
