// The VM's cascaded 8259As (pic.hpp): ICWs, OCWs, priority and INTA.
#include "warden/svm/pic.hpp"

namespace warden::svm {
namespace {

// Command port: ICW1 has bit 4; OCW3 has bit 3 (bit 4 clear); else OCW2.
constexpr uint8_t kIcw1 = 0x10, kOcw3 = 0x08;
constexpr uint8_t kIcw1Icw4 = 0x01, kIcw1Single = 0x02;
constexpr uint8_t kIcw4AutoEoi = 0x02, kIcw4Sfnm = 0x10;
constexpr uint8_t kOcw3Poll = 0x04, kOcw3ReadRegister = 0x02, kOcw3ReadIsr = 0x01;
constexpr uint8_t kOcw3SpecialMask = 0x40, kOcw3SetSpecialMask = 0x20;
// QEMU's i8259 ELCR masks (PIIX): IRQ 0, 1, 2 and 8, 13 are always edge.
constexpr uint8_t kElcrMaskMaster = 0xf8, kElcrMaskSlave = 0xde;

// The highest-priority bit of `mask` under rotation `add`: its priority
// (0 highest), or 8 when none.
unsigned priority(uint8_t mask, uint8_t add) {
    for (unsigned p = 0; p < 8; ++p)
        if (mask & (1u << ((p + add) & 7))) return p;
    return 8;
}

}  // namespace

PicPair::PicPair() {
    pic_[0].elcr_mask = kElcrMaskMaster;
    pic_[1].elcr_mask = kElcrMaskSlave;
}

bool PicPair::claims(uint16_t port) {
    return port == kPicMaster || port == kPicMaster + 1 || port == kPicSlave || port == kPicSlave + 1 ||
           port == kElcrMaster || port == kElcrSlave;
}

// The master's IRR with the cascade input: IRQ2 follows the slave's INT.
uint8_t PicPair::master_irr() const {
    const uint8_t cascade = best_irq(1) ? 1u << kPicCascadeIrq : 0;
    return static_cast<uint8_t>(pic_[0].irr | cascade);
}

// The IRQ a controller would raise INT for: pending, unmasked, of higher
// priority than everything in service (8259A "fully nested mode"; special
// mask mode leaves only the in-service IRQs themselves out; SFNM lets the
// slave's further requests through the master's IRQ2 in service).
std::optional<unsigned> PicPair::best_irq(unsigned which) const {
    const Pic8259& p = pic_[which];
    if (!p.initialised) return std::nullopt;
    const uint8_t pending = (which == 0 ? master_irr() : p.irr) & ~p.imr;
    const unsigned want = priority(pending, p.priority_add);
    if (want == 8) return std::nullopt;
    uint8_t in_service = p.isr;
    if (p.special_mask) in_service &= ~p.imr;
    if (which == 0 && p.special_fully_nested) in_service &= ~(1u << kPicCascadeIrq);
    if (want < priority(in_service, p.priority_add)) return (want + p.priority_add) & 7;
    return std::nullopt;
}

void PicPair::raise_edge(unsigned irq) {
    if (irq >= 16) return;
    pic_[irq / 8].irr |= static_cast<uint8_t>(1u << (irq % 8));
}

std::optional<uint8_t> PicPair::pending_vector() const {
    const auto irq = best_irq(0);
    if (!irq) return std::nullopt;
    if (*irq != kPicCascadeIrq || pic_[0].single) return static_cast<uint8_t>(pic_[0].base | *irq);
    const auto slave_irq = best_irq(1);
    return static_cast<uint8_t>(pic_[1].base | (slave_irq ? *slave_irq : 7));
}

// INTA on one controller for `irq`: IRR to ISR, or straight through in
// automatic EOI mode (rotating if asked).
uint8_t PicPair::take(unsigned which, unsigned irq) {
    Pic8259& p = pic_[which];
    p.irr &= static_cast<uint8_t>(~(1u << irq));
    if (p.auto_eoi) {
        if (p.rotate_on_auto_eoi) p.priority_add = static_cast<uint8_t>((irq + 1) & 7);
    } else {
        p.isr |= static_cast<uint8_t>(1u << irq);
    }
    return static_cast<uint8_t>(p.base | irq);
}

std::optional<uint8_t> PicPair::acknowledge() {
    const auto irq = best_irq(0);
    if (!irq) return std::nullopt;
    if (*irq != kPicCascadeIrq || pic_[0].single) return take(0, *irq);
    const auto slave_irq = best_irq(1);
    take(0, kPicCascadeIrq);
    pic_[0].irr &= static_cast<uint8_t>(~(1u << kPicCascadeIrq));
    if (!slave_irq) return static_cast<uint8_t>(pic_[1].base | 7);  // the slave's spurious IRQ7
    return take(1, *slave_irq);
}

// OCW3 poll: the next read is an INTA, answered as bit 7 "an IRQ" and its
// number (8259A "The Poll Command").
uint8_t PicPair::poll_read(unsigned which) {
    pic_[which].poll = false;
    const auto irq = best_irq(which);
    if (!irq) return 0;
    take(which, *irq);
    return static_cast<uint8_t>(0x80 | *irq);
}

uint8_t PicPair::read(uint16_t port) {
    if (port == kElcrMaster) return pic_[0].elcr;
    if (port == kElcrSlave) return pic_[1].elcr;
    if (!claims(port)) return 0xff;
    const unsigned which = port >= kPicSlave ? 1 : 0;
    Pic8259& p = pic_[which];
    if (p.poll) return poll_read(which);
    if (port & 1) return p.imr;
    if (p.read_isr) return p.isr;
    return which == 0 ? master_irr() : p.irr;
}

void PicPair::write_command(unsigned which, uint8_t value) {
    Pic8259& p = pic_[which];
    if (value & kIcw1) {
        // ICW1 (8259A "Initialization Command Words"): the mask, the requests
        // and what is in service are cleared, IRQ7 gets the lowest priority,
        // special mask mode and the read select are reset.
        const uint8_t elcr = p.elcr, elcr_mask = p.elcr_mask;
        p = Pic8259{};
        p.elcr = elcr, p.elcr_mask = elcr_mask;
        p.icw_step = 2;
        p.icw4_due = value & kIcw1Icw4;
        p.single = value & kIcw1Single;
        return;
    }
    if (value & kOcw3) {
        if (value & kOcw3Poll) p.poll = true;
        if (value & kOcw3ReadRegister) p.read_isr = value & kOcw3ReadIsr;
        if (value & kOcw3SpecialMask) p.special_mask = value & kOcw3SetSpecialMask;
        return;
    }
    // OCW2: R SL EOI in bits 7:5, the level in 2:0.
    const unsigned level = value & 7;
    switch (value >> 5) {
    case 0: p.rotate_on_auto_eoi = false; break;
    case 4: p.rotate_on_auto_eoi = true; break;
    case 1:    // non-specific EOI
    case 5: {  // rotate on non-specific EOI
        const unsigned prio = priority(p.isr, p.priority_add);
        if (prio == 8) break;  // nothing in service: no effect
        const unsigned irq = (prio + p.priority_add) & 7;
        p.isr &= static_cast<uint8_t>(~(1u << irq));
        if (value >> 5 == 5) p.priority_add = static_cast<uint8_t>((irq + 1) & 7);
        break;
    }
    case 3: p.isr &= static_cast<uint8_t>(~(1u << level)); break;  // specific EOI
    case 7:                                                        // rotate on specific EOI
        p.isr &= static_cast<uint8_t>(~(1u << level));
        p.priority_add = static_cast<uint8_t>((level + 1) & 7);
        break;
    case 6: p.priority_add = static_cast<uint8_t>((level + 1) & 7); break;  // set priority
    default: break;                                                         // 2: no operation
    }
}

void PicPair::write_data(Pic8259& p, uint8_t value, PicWrite& w) {
    switch (p.icw_step) {
    case 0: p.imr = value; return;  // OCW1
    case 2:
        p.base = value & 0xf8;
        p.icw_step = p.single ? (p.icw4_due ? 4 : 0) : 3;
        break;
    case 3: p.icw_step = p.icw4_due ? 4 : 0; break;  // the cascade wiring is fixed: IRQ2, slave ID 2
    default:
        p.auto_eoi = value & kIcw4AutoEoi;
        p.special_fully_nested = value & kIcw4Sfnm;
        p.icw_step = 0;
        break;
    }
    if (p.icw_step == 0) {
        p.initialised = true;
        w.initialised = true;
    }
}

PicWrite PicPair::write(uint16_t port, uint8_t value) {
    PicWrite w;
    if (port == kElcrMaster || port == kElcrSlave) {
        Pic8259& p = pic_[port == kElcrSlave ? 1 : 0];
        p.elcr = value & p.elcr_mask;
        return w;
    }
    if (!claims(port)) return w;
    const unsigned which = port >= kPicSlave ? 1 : 0;
    if (port & 1) {
        write_data(pic_[which], value, w);
    } else {
        write_command(which, value);
    }
    return w;
}

}  // namespace warden::svm
