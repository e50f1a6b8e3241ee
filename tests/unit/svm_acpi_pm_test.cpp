#include <doctest/doctest.h>

#include "warden/svm/acpi_pm.hpp"

using namespace warden::svm;

// From the sources, not the model's tables: ACPI 6.5 section 4.8, the
// fixed hardware registers (the PM timer at 3.579545 MHz; PM1 status
// TMR_STS bit 0, control SCI_EN bit 0, SLP_TYP 12:10, SLP_EN bit 13), QEMU
// hw/acpi/core.c (the timer at +8 of the block).
TEST_CASE("svm acpi_pm: constants") {
    CHECK(kPmTimerHz == 3579545);
    CHECK(kPmTimerMask == 0xffffff);
    CHECK(kPm1Status == 0);
    CHECK(kPm1Enable == 2);
    CHECK(kPm1Control == 4);
    CHECK(kPmTimer == 8);
    CHECK(kTimerStatus == 1);
    CHECK(kSciEnable == 1);
    CHECK(kSleepEnable == 0x2000);
    CHECK(kSleepTypeShift == 10);
}

TEST_CASE("svm acpi_pm: the timer counts 24 bits at 3.579545 MHz from the TSC") {
    CHECK(pm_timer_ticks(3'000'000'000, 3'000'000'000) == kPmTimerHz);
    CHECK(pm_timer_ticks(1'500'000'000, 3'000'000'000) == kPmTimerHz / 2);
    CHECK(pm_timer_ticks(123, 0) == 0);
    // No overflow for years of uptime at 5 GHz.
    const uint64_t year = uint64_t{5'000'000'000} * 3600 * 24 * 365;
    CHECK(pm_timer_ticks(year, 5'000'000'000) == kPmTimerHz * 3600 * 24 * 365);
    AcpiPm pm;
    CHECK(pm.read(kPmTimer, 4, 0x1234567) == 0x234567);
    CHECK(pm.read(kPmTimer, 4, kPmTimerMask + 5) == 4);
    CHECK(pm.read(kPmTimer + 1, 1, 0x123456) == 0x34);    // byte lanes of one sample
    CHECK(pm.read(kPmTimer + 2, 2, 0x123456) == 0x0012);  // its top byte reads 0
    CHECK(pm.read(kPmTimer + 3, 2, 0x123456) == 0xff00);  // past it, a hole
    pm.write(kPmTimer, 4, 0, 10);                         // read-only
    CHECK(pm.read(kPmTimer, 4, 10) == 10);
}

TEST_CASE("svm acpi_pm: PM1 status, enable and control; holes read all ones") {
    AcpiPm pm;
    CHECK(pm.read(kPm1Control, 2, 0) == kSciEnable);   // QEMU without SMM: SCI_EN from reset
    CHECK(pm.read(kPm1Status, 2, 0) == kTimerStatus);  // overflow time 0 after reset (QEMU)
    // Write 1 to clear; the timer status comes back at the next bit-23 toggle.
    pm.write(kPm1Status, 2, kTimerStatus, 100);
    CHECK(pm.read(kPm1Status, 2, 101) == 0);
    CHECK(pm.read(kPm1Status, 2, 0x7fffff) == 0);
    CHECK(pm.read(kPm1Status, 2, 0x800000) == kTimerStatus);
    pm.write(kPm1Status, 1, 0, 0x800001);  // writing 0 clears nothing
    CHECK(pm.read(kPm1Status, 2, 0x800001) == kTimerStatus);
    pm.write(kPm1Enable, 2, 0x0121, 0);
    CHECK(pm.read(kPm1Enable, 2, 0) == 0x0121);
    pm.write(kPm1Enable + 1, 1, 0x04, 0);
    CHECK(pm.read(kPm1Enable, 2, 0) == 0x0421);
    // A dword at +0 is status and enable (QEMU splits it into two words).
    CHECK(pm.read(kPm1Status, 4, 0x800001) == (0x0421u << 16 | kTimerStatus));
    CHECK(pm.read(6, 2, 0) == 0xffff);
    CHECK(pm.read(0x0c, 4, 0) == 0xffffffff);
    CHECK(pm.read(0x3f, 1, 0) == 0xff);
    CHECK(pm.read(kPm1Control, 4, 0) == (0xffffu << 16 | kSciEnable));
    CHECK(pm.read(kPmTimer, 3, 0) == 0xffffffff);  // a size no access has
}

TEST_CASE("svm acpi_pm: SLP_EN asks for the sleep type and reads back 0") {
    AcpiPm pm;
    PmWrite w = pm.write(kPm1Control, 2, kSciEnable | 2u << kSleepTypeShift, 0);
    CHECK_FALSE(w.sleep);
    CHECK(pm.control() == (kSciEnable | 2u << kSleepTypeShift));
    // OVMF's ResetShutdown: SLP_TYP 0, then SLP_EN by a word OR.
    pm.write(kPm1Control, 2, kSciEnable, 0);
    w = pm.write(kPm1Control, 2, kSciEnable | kSleepEnable, 0);
    CHECK(w.sleep);
    CHECK(w.sleep_type == 0);
    CHECK(pm.control() == kSciEnable);
    w = pm.write(kPm1Control + 1, 1, (kSleepEnable | 5u << kSleepTypeShift) >> 8, 0);  // the high byte alone
    CHECK(w.sleep);
    CHECK(w.sleep_type == 5);
    CHECK(pm.control() == (kSciEnable | 5u << kSleepTypeShift));
    CHECK_FALSE(pm.write(kPm1Control, 3, kSleepEnable, 0).sleep);
}
