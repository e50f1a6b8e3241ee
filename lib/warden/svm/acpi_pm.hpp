// The PIIX4 power-management registers the guest reaches at PMBA once
// PMREGMISC.PMIOSE is set (pci_config.hpp), as QEMU's piix4-pm lays out its
// 64 bytes of I/O (hw/acpi/piix4.c, hw/acpi/core.c): PM1 status at +0, PM1
// enable at +2, PM1 control at +4, the PM timer at +8; the rest reads all
// ones. The timer is QEMU's: 24 bits at 3.579545 MHz (ACPI 6.5 section 4.8,
// PM_TMR_FREQUENCY), counted from the machine's start; the caller gives the
// time as PM timer ticks (pm_timer_ticks). Accesses are byte lanes: each
// byte of a 1-, 2- or 4-byte access is its register's byte, as QEMU's
// memory core splits and widens them for these registers (valid sizes 1..2
// for PM1, 1..4 for the timer). No SCI is raised, and sleep is only asked.
#pragma once

#include <cstdint>

namespace warden::svm {

inline constexpr uint64_t kPmTimerHz = 3'579'545;
inline constexpr uint32_t kPmTimerMask = 0xffffff;
inline constexpr uint16_t kPm1Status = 0, kPm1Enable = 2, kPm1Control = 4, kPmTimer = 8;
inline constexpr uint16_t kTimerStatus = 1u << 0;   // PM1_STS.TMR_STS
inline constexpr uint16_t kSciEnable = 1u << 0;     // PM1_CNT.SCI_EN
inline constexpr uint16_t kSleepEnable = 1u << 13;  // PM1_CNT.SLP_EN, write-only
inline constexpr unsigned kSleepTypeShift = 10;     // PM1_CNT.SLP_TYP 12:10

// PM timer ticks in `tsc_ticks` at `tsc_hz` (0 when the rate is unknown).
uint64_t pm_timer_ticks(uint64_t tsc_ticks, uint64_t tsc_hz);

struct PmWrite {
    bool sleep = false;      // SLP_EN was written: the guest asks for sleep state `sleep_type`
    uint8_t sleep_type = 0;  // QEMU: 0 soft off, 1 suspend, its S4 value: suspend to disk
};

class AcpiPm {
public:
    // offset in the 64-byte block; now in PM timer ticks since the start.
    uint32_t read(uint16_t offset, unsigned size, uint64_t now);
    PmWrite write(uint16_t offset, unsigned size, uint32_t value, uint64_t now);

    uint16_t status() const { return status_; }
    uint16_t enable() const { return enable_; }
    uint16_t control() const { return control_; }

private:
    uint8_t byte(unsigned at, uint16_t status, uint32_t timer) const;

    uint16_t status_ = 0, enable_ = 0;
    // QEMU's piix4-pm without SMM resets PM1_CNT with SCI_EN set (acpi_only;
    // acpi_pm1_cnt_reset), as an SNP guest's machine is.
    uint16_t control_ = kSciEnable;
    // TMR_STS is set when the counter's bit 23 toggles: at the first tick
    // count at or past this one (QEMU acpi_pm1_evt_get_sts; 0 after reset).
    uint64_t overflow_at_ = 0;
};

}  // namespace warden::svm
