// A guest VMPL's own xAPIC registers (xapic.hpp).
#include "warden/svm/xapic.hpp"

#include <cstddef>

namespace warden::svm {
namespace {

constexpr uint32_t kLvtFirst = 0x320, kLvtLast = 0x370;
constexpr uint32_t kReadOnlyFirst = 0x100, kReadOnlyLast = 0x2f0;  // ISR, TMR, IRR, ESR: written by no one
constexpr uint32_t kRegistersEnd = 0x400;                          // SDM table 11-1: the last register is at 0x3f0
constexpr uint32_t kIsr = 0x100, kIrr = 0x200, kLint0 = 0x350;
constexpr uint32_t kSvrEnable = 1u << 8, kDeliveryExtInt = 7;
std::size_t index(uint32_t offset) { return (offset >> 4) & 63; }

int highest(const std::array<uint32_t, 8>& bits) {
    for (int w = 7; w >= 0; --w)
        if (bits[w]) return w * 32 + 31 - __builtin_clz(bits[w]);
    return -1;
}

}  // namespace

VirtualXapic::VirtualXapic(uint32_t id, uint32_t version) {
    regs_[index(kXapicId)] = id;
    regs_[index(kXapicVersion)] = version;
    regs_[index(0xe0)] = 0xffffffff;  // DFR: flat model
    regs_[index(kXapicSvr)] = 0xff;   // software disabled, spurious vector 0xff
    for (uint32_t o = kLvtFirst; o <= kLvtLast; o += 0x10) regs_[index(o)] = kXapicLvtMasked;
}

uint32_t VirtualXapic::timer_current(uint64_t now) const {
    const uint32_t initial = regs_[index(kXapicTimerInitial)];
    if (initial == 0) return 0;
    const uint64_t d = (now > timer_loaded_at_ ? now - timer_loaded_at_ : 0) >> count_shift_;
    if (regs_[index(kXapicLvtTimer)] & kXapicTimerPeriodic)
        return static_cast<uint32_t>(initial - d % (uint64_t{initial} + 1));  // as QEMU's apic_get_current_count
    return d >= initial ? 0 : static_cast<uint32_t>(initial - d);
}

uint32_t VirtualXapic::read(uint32_t offset, uint64_t now) const {
    if (offset >= kRegistersEnd || (offset & 0xf)) return 0;  // past 0x3f0 the page holds no register
    if (offset == kXapicTimerCurrent) return timer_current(now);
    if (offset == kXapicPpr) {
        const uint32_t tpr = regs_[index(kXapicTpr)] & 0xf0;
        const int in_service = highest(isr_);
        const uint32_t isrv = in_service < 0 ? 0 : static_cast<uint32_t>(in_service) & 0xf0;
        return tpr >= isrv ? regs_[index(kXapicTpr)] & 0xff : isrv;
    }
    if (offset >= kIsr && offset < kIsr + 0x80) return isr_[(offset - kIsr) >> 4];
    if (offset >= kIrr && offset < kIrr + 0x80) return irr_[(offset - kIrr) >> 4];
    if (offset == kXapicEoi || (offset >= kReadOnlyFirst && offset <= kReadOnlyLast)) return 0;
    return regs_[index(offset)];
}

uint64_t VirtualXapic::expiries(uint64_t now) const {
    const uint32_t initial = regs_[index(kXapicTimerInitial)];
    if (initial == 0) return 0;
    const uint64_t d = (now > timer_loaded_at_ ? now - timer_loaded_at_ : 0) >> count_shift_;
    if (regs_[index(kXapicLvtTimer)] & kXapicTimerPeriodic) return d / (uint64_t{initial} + 1);
    return d >= initial ? 1 : 0;
}

void VirtualXapic::update(uint64_t now) {
    const uint64_t total = expiries(now);
    if (total <= timer_expiries_) return;
    timer_expiries_ = total;
    const uint32_t lvt = regs_[index(kXapicLvtTimer)];
    const uint8_t vector = lvt & 0xff;
    if (!(lvt & kXapicLvtMasked) && vector >= 16) irr_[vector / 32] |= 1u << (vector % 32);
}

int VirtualXapic::pending_vector() const {
    if (!(regs_[index(kXapicSvr)] & kSvrEnable)) return -1;
    const int v = highest(irr_);
    if (v < 0) return -1;
    const uint32_t ppr = read(kXapicPpr, 0) & 0xf0;
    return (static_cast<uint32_t>(v) & 0xf0) > ppr ? v : -1;
}

void VirtualXapic::acknowledge(uint8_t vector) {
    irr_[vector / 32] &= ~(1u << (vector % 32));
    isr_[vector / 32] |= 1u << (vector % 32);
}

bool VirtualXapic::extint_open() const {
    if (!(regs_[index(kXapicSvr)] & kSvrEnable)) return true;
    const uint32_t lint0 = regs_[index(kLint0)];
    return !(lint0 & kXapicLvtMasked) && ((lint0 >> 8) & 7) == kDeliveryExtInt;
}

XapicWrite VirtualXapic::write(uint32_t offset, uint32_t value, uint64_t now) {
    XapicWrite w;
    if (offset >= kRegistersEnd || (offset & 0xf)) return w;
    switch (offset) {
    case kXapicVersion:
    case kXapicPpr:
    case kXapicTimerCurrent: return w;
    case kXapicEoi:  // the highest in service is done (SDM 11.8.5)
        if (const int v = highest(isr_); v >= 0) isr_[v / 32] &= ~(1u << (v % 32));
        return w;
    case kXapicIcrLow:
        regs_[index(offset)] = value & ~(1u << 12);  // delivery status: idle at once
        w.ipi = true;
        return w;
    case kXapicTimerDivide: {
        const uint32_t v = (value & 3) | ((value >> 1) & 4);  // QEMU apic.c: bits 0, 1, 3
        count_shift_ = (v + 1) & 7;
        regs_[index(offset)] = value & 0xb;
        return w;
    }
    case kXapicTimerInitial:
        timer_loaded_at_ = now;
        timer_expiries_ = 0;
        break;
    default:
        if (offset >= kReadOnlyFirst && offset <= kReadOnlyLast) return w;
        break;
    }
    regs_[index(offset)] = value;
    const uint32_t lvt = regs_[index(kXapicLvtTimer)];
    if ((offset == kXapicTimerInitial || offset == kXapicLvtTimer) && !(lvt & kXapicLvtMasked) &&
        regs_[index(kXapicTimerInitial)] != 0)
        w.timer_armed = true;
    return w;
}

}  // namespace warden::svm
