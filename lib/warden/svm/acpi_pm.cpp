// The PIIX4 PM registers (acpi_pm.hpp).
#include "warden/svm/acpi_pm.hpp"

namespace warden::svm {
namespace {

bool valid_size(unsigned size) { return size == 1 || size == 2 || size == 4; }

}  // namespace

uint64_t pm_timer_ticks(uint64_t tsc_ticks, uint64_t tsc_hz) {
    if (tsc_hz == 0) return 0;
    // Split so that nothing overflows: kPmTimerHz < 2^22, the remainder is
    // below tsc_hz, so the product stays below 2^22 * tsc_hz.
    return tsc_ticks / tsc_hz * kPmTimerHz + tsc_ticks % tsc_hz * kPmTimerHz / tsc_hz;
}

uint8_t AcpiPm::byte(unsigned at, uint16_t status, uint32_t timer) const {
    switch (at) {
    case kPm1Status:
    case kPm1Status + 1: return static_cast<uint8_t>(status >> (8 * (at - kPm1Status)));
    case kPm1Enable:
    case kPm1Enable + 1: return static_cast<uint8_t>(enable_ >> (8 * (at - kPm1Enable)));
    case kPm1Control:
    case kPm1Control + 1: return static_cast<uint8_t>(control_ >> (8 * (at - kPm1Control)));
    case kPmTimer:
    case kPmTimer + 1:
    case kPmTimer + 2:
    case kPmTimer + 3: return static_cast<uint8_t>(timer >> (8 * (at - kPmTimer)));
    default: return 0xff;  // a hole in QEMU's block, or past its 64 bytes
    }
}

uint32_t AcpiPm::read(uint16_t offset, unsigned size, uint64_t now) {
    if (!valid_size(size)) return ~uint32_t{0};
    if (now >= overflow_at_) status_ |= kTimerStatus;  // latched, as QEMU's read latches it
    const auto timer = static_cast<uint32_t>(now & kPmTimerMask);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= uint32_t{byte(offset + i, status_, timer)} << (8 * i);
    return v;
}

PmWrite AcpiPm::write(uint16_t offset, unsigned size, uint32_t value, uint64_t now) {
    PmWrite w;
    if (!valid_size(size)) return w;
    // Each register's bytes this access covers, and their value there.
    uint16_t lanes[3] = {0, 0, 0}, bits[3] = {0, 0, 0};
    for (unsigned i = 0; i < size; ++i) {
        const unsigned at = offset + i;
        if (at >= kPmTimer) continue;  // the timer is read-only, the rest a hole
        const unsigned reg = at / 2, shift = 8 * (at % 2);
        if (reg > 2) continue;
        lanes[reg] = static_cast<uint16_t>(lanes[reg] | 0xffu << shift);
        bits[reg] = static_cast<uint16_t>(bits[reg] | ((value >> (8 * i)) & 0xffu) << shift);
    }
    // PM1_STS: write 1 to clear (QEMU acpi_pm1_evt_write_sts); clearing
    // TMR_STS sets it again at the counter's next bit-23 toggle.
    const uint16_t cleared = bits[0] & lanes[0];
    if (now >= overflow_at_) status_ |= kTimerStatus;
    if (cleared & status_ & kTimerStatus) overflow_at_ = (now + 0x800000) & ~uint64_t{0x7fffff};
    status_ = static_cast<uint16_t>(status_ & ~cleared);
    enable_ = static_cast<uint16_t>((enable_ & ~lanes[1]) | bits[1]);
    if (lanes[2] != 0) {
        const auto written = static_cast<uint16_t>((control_ & ~lanes[2]) | bits[2]);
        control_ = static_cast<uint16_t>(written & ~kSleepEnable);  // SLP_EN reads 0
        if (written & kSleepEnable) {
            w.sleep = true;
            w.sleep_type = static_cast<uint8_t>((written >> kSleepTypeShift) & 7);
        }
    }
    return w;
}

}  // namespace warden::svm
