#include <doctest/doctest.h>

#include "warden/svm/xapic.hpp"

using namespace warden::svm;

// From the sources, not the model: Intel SDM vol. 3 table 11-1 (the xAPIC
// register offsets), 11.5.1 (LVT mask bit 16, timer mode bit 17).
TEST_CASE("svm xapic: constants") {
    CHECK(kXapicId == 0x20);
    CHECK(kXapicVersion == 0x30);
    CHECK(kXapicTpr == 0x80);
    CHECK(kXapicEoi == 0xb0);
    CHECK(kXapicSvr == 0xf0);
    CHECK(kXapicIcrLow == 0x300);
    CHECK(kXapicLvtTimer == 0x320);
    CHECK(kXapicTimerInitial == 0x380);
    CHECK(kXapicTimerCurrent == 0x390);
    CHECK(kXapicTimerDivide == 0x3e0);
    CHECK(kXapicLvtMasked == 0x10000);
    CHECK(kXapicTimerPeriodic == 0x20000);
}

TEST_CASE("svm xapic: reset values, the host's ID and version") {
    const VirtualXapic a(3u << 24, 0x50014);
    CHECK(a.read(kXapicId, 0) == 3u << 24);
    CHECK(a.read(kXapicVersion, 0) == 0x50014);
    CHECK(a.read(kXapicSvr, 0) == 0xff);
    CHECK(a.read(kXapicLvtTimer, 0) == kXapicLvtMasked);
    CHECK(a.read(kXapicTimerCurrent, 0) == 0);
    CHECK(a.read(0x104, 0) == 0);  // not aligned
}

// OVMF's SEC (InitializeApicTimer (0, MAX_UINT32, TRUE, 5), then
// DisableApicTimerInterrupt) and its timer library reading the count.
TEST_CASE("svm xapic: a masked periodic timer counts down from the initial count at 1 GHz / divide") {
    VirtualXapic a(0, 0x50014);
    CHECK_FALSE(a.write(kXapicTimerDivide, 0xb, 0).timer_armed);                      // divide by 1
    CHECK(a.write(kXapicLvtTimer, kXapicTimerPeriodic | 5, 0).timer_armed == false);  // no count yet
    CHECK(a.write(kXapicTimerInitial, 0xffffffff, 100).timer_armed);
    CHECK_FALSE(a.write(kXapicLvtTimer, kXapicLvtMasked | kXapicTimerPeriodic | 5, 100).timer_armed);
    CHECK(a.read(kXapicTimerCurrent, 100) == 0xffffffff);
    CHECK(a.read(kXapicTimerCurrent, 1100) == 0xffffffff - 1000);
    a.write(kXapicTimerDivide, 0x3, 1100);  // divide by 16
    CHECK(a.read(kXapicTimerCurrent, 100 + 16 * 10) == 0xffffffff - 10);
}

TEST_CASE("svm xapic: a one-shot timer stops at 0; EOI, ISR and IRR change nothing") {
    VirtualXapic a(0, 0x50014);
    a.write(kXapicTimerDivide, 0xb, 0);
    a.write(kXapicTimerInitial, 50, 0);
    CHECK(a.read(kXapicTimerCurrent, 49) == 1);
    CHECK(a.read(kXapicTimerCurrent, 5000) == 0);
    a.write(kXapicEoi, 0, 0);
    a.write(0x100, 0xffffffff, 0);
    a.write(0x200, 0xffffffff, 0);
    CHECK(a.read(0x100, 0) == 0);
    CHECK(a.read(0x200, 0) == 0);
    a.write(kXapicTpr, 0x35, 0);
    CHECK(a.read(0xa0, 0) == 0x35);  // PPR: the TPR, nothing in service (SDM 11.8.3.1)
}

TEST_CASE("svm xapic: an ICR write is an IPI asked for, never a pending one") {
    VirtualXapic a(0, 0x50014);
    const XapicWrite w = a.write(kXapicIcrLow, 0x000c4500, 0);
    CHECK(w.ipi);
    CHECK((a.read(kXapicIcrLow, 0) & (1u << 12)) == 0);
    CHECK_FALSE(a.write(kXapicVersion, 0, 0).ipi);
    CHECK(a.read(kXapicVersion, 0) == 0x50014);
}

// Found by svm_xapic_fuzz: offsets past 0x3f0 aliased the registers below
// (0x420 wrote the ID).
TEST_CASE("svm xapic: the page past 0x3f0 holds no register") {
    VirtualXapic a(3u << 24, 0x50014);
    a.write(0x420, 0xdead, 0);
    a.write(0xff0, 0xdead, 0);
    CHECK(a.read(kXapicId, 0) == 3u << 24);
    CHECK(a.read(0x420, 0) == 0);
    CHECK(a.read(0xff0, 0) == 0);
}
