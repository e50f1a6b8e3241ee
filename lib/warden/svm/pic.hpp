// The VM's pair of cascaded 8259A interrupt controllers (Intel 8259A data
// sheet, 231468), master at 0x20/0x21 with the slave on its IRQ2, slave at
// 0xa0/0xa1, and the PIIX ELCR at 0x4d0/0x4d1, as a register model in the
// way QEMU's hw/intc/i8259.c behaves: ICW1-ICW4 initialisation, the IMR
// (OCW1), OCW2's EOIs (non-specific, specific, rotating) and priority set,
// OCW3's IRR/ISR read select, poll and special mask, automatic EOI,
// fully-nested priority with rotation. Inputs are edges (the PIT's IRQ0);
// ELCR bits are kept (QEMU's masks: IRQ 0-2 and 8, 13 always edge) but no
// level-triggered source is wired. The host's choice: nothing is delivered
// before a controller's ICW sequence has given it a vector base (QEMU's
// reset leaves base 0, the CPU's exception vectors).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace warden::svm {

inline constexpr uint16_t kPicMaster = 0x20, kPicSlave = 0xa0, kElcrMaster = 0x4d0, kElcrSlave = 0x4d1;
inline constexpr unsigned kPicCascadeIrq = 2;

struct Pic8259 {
    uint8_t irr = 0, isr = 0, imr = 0;
    uint8_t base = 0;          // ICW2 bits 7:3
    uint8_t priority_add = 0;  // the IRQ with the highest priority (rotation)
    uint8_t icw_step = 0;      // 0: ready; 2, 3, 4: that ICW is due on the odd port
    bool icw4_due = false, single = false;
    bool initialised = false;  // an ICW sequence has completed
    bool read_isr = false, poll = false, special_mask = false;
    bool auto_eoi = false, rotate_on_auto_eoi = false, special_fully_nested = false;
    uint8_t elcr = 0, elcr_mask = 0;
};

// What a write did that the caller reports.
struct PicWrite {
    bool initialised = false;  // a controller finished its ICW sequence
};

class PicPair {
public:
    PicPair();
    // Ports 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 (1 byte); others read all ones.
    uint8_t read(uint16_t port);
    PicWrite write(uint16_t port, uint8_t value);
    static bool claims(uint16_t port);

    // A rising edge on IRQ `irq` (0-15): its IRR bit.
    void raise_edge(unsigned irq);
    // The vector the CPU would get at INTA now, without taking it.
    std::optional<uint8_t> pending_vector() const;
    // INTA: the pending IRQ moves from IRR to ISR (unless auto EOI); its
    // vector, or nothing when none is pending any more.
    std::optional<uint8_t> acknowledge();

    const Pic8259& master() const { return pic_[0]; }
    const Pic8259& slave() const { return pic_[1]; }

private:
    std::optional<unsigned> best_irq(unsigned which) const;
    uint8_t master_irr() const;
    uint8_t take(unsigned which, unsigned irq);
    uint8_t poll_read(unsigned which);
    void write_command(unsigned which, uint8_t value);
    void write_data(Pic8259& p, uint8_t value, PicWrite& w);

    std::array<Pic8259, 2> pic_{};
};

}  // namespace warden::svm
