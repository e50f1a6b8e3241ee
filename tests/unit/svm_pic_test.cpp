#include <doctest/doctest.h>

#include "warden/svm/pic.hpp"

using namespace warden::svm;

// From the sources, not the model: the PC's 8259A ports (master 0x20/0x21,
// slave 0xa0/0xa1, cascaded on IRQ2) and the PIIX ELCR at 0x4d0/0x4d1
// (QEMU hw/intc/i8259.c, Intel 82371AB data sheet 290562).
TEST_CASE("svm pic: constants") {
    CHECK(kPicMaster == 0x20);
    CHECK(kPicSlave == 0xa0);
    CHECK(kElcrMaster == 0x4d0);
    CHECK(kElcrSlave == 0x4d1);
    CHECK(kPicCascadeIrq == 2);
    CHECK(PicPair::claims(0x21));
    CHECK(PicPair::claims(0xa1));
    CHECK_FALSE(PicPair::claims(0x22));
}

// edk2's Legacy8259 (OvmfPkg/8259InterruptControllerDxe): ICW1 0x11, ICW2
// the vector bases, ICW3 4 and 2, ICW4 1, then the masks and the ELCR.
void init_as_edk2(PicPair& p, uint8_t master_base, uint8_t slave_base) {
    p.write(0x20, 0x11);
    p.write(0x21, master_base);
    p.write(0x21, 0x04);
    CHECK(p.write(0x21, 0x01).initialised);
    p.write(0xa0, 0x11);
    p.write(0xa1, slave_base);
    p.write(0xa1, 0x02);
    CHECK(p.write(0xa1, 0x01).initialised);
}

TEST_CASE("svm pic: initialised as edk2 does, IRQ0 goes to the master's base and waits for its EOI") {
    PicPair p;
    init_as_edk2(p, 0x68, 0x70);
    CHECK(p.master().base == 0x68);
    CHECK(p.slave().base == 0x70);
    p.write(0x21, 0xfe);  // IRQ0 only
    p.write(0xa1, 0xff);
    p.write(0x4d0, 0xff);
    CHECK(p.read(0x4d0) == 0xf8);  // IRQ 0-2 stay edge
    CHECK_FALSE(p.pending_vector());
    p.raise_edge(0);
    CHECK(p.pending_vector() == 0x68);
    CHECK(p.acknowledge() == 0x68);
    CHECK(p.master().isr == 1);
    CHECK(p.master().irr == 0);
    p.raise_edge(0);
    CHECK_FALSE(p.pending_vector());  // in service: the next waits
    p.write(0x20, 0x20);              // non-specific EOI
    CHECK(p.pending_vector() == 0x68);
}

TEST_CASE("svm pic: nothing is delivered before the ICWs, nor while masked") {
    PicPair p;
    p.raise_edge(0);
    CHECK_FALSE(p.pending_vector());
    CHECK_FALSE(p.acknowledge());
    p.write(0x20, 0x20);  // an OCW2 before any ICW: no effect on delivery
    p.write(0x20, 0x0b);  // OCW3: read ISR
    CHECK(p.read(0x20) == 0);
    init_as_edk2(p, 0x20, 0x28);
    p.write(0x21, 0x01);
    p.raise_edge(0);
    CHECK_FALSE(p.pending_vector());
    CHECK(p.read(0x20) == 1);  // ICW1 reset the read select: IRR
    p.write(0x21, 0x00);
    CHECK(p.pending_vector() == 0x20);
}

TEST_CASE("svm pic: an EOI with nothing in service changes nothing") {
    PicPair p;
    init_as_edk2(p, 0x20, 0x28);
    p.write(0x20, 0x20);
    p.write(0x20, 0x60);  // specific EOI of IRQ0
    CHECK(p.master().isr == 0);
    CHECK(p.master().priority_add == 0);
}

TEST_CASE("svm pic: the slave's IRQs go through the master's IRQ2") {
    PicPair p;
    init_as_edk2(p, 0x20, 0x28);
    p.raise_edge(9);
    CHECK(p.pending_vector() == 0x29);
    CHECK(p.read(0x20) == 0x04);  // the cascade input
    CHECK(p.acknowledge() == 0x29);
    CHECK(p.master().isr == 0x04);
    CHECK(p.slave().isr == 0x02);
    p.raise_edge(0);
    CHECK(p.pending_vector() == 0x20);  // IRQ0 outranks the IRQ2 in service
    p.raise_edge(10);
    p.write(0xa0, 0x20);
    p.write(0x20, 0x62);  // specific EOI of IRQ2
    CHECK(p.acknowledge() == 0x20);
    CHECK(p.pending_vector() == std::nullopt);  // IRQ0 in service outranks IRQ2
    p.write(0x20, 0x20);
    CHECK(p.acknowledge() == 0x2a);
}

TEST_CASE("svm pic: OCW3 reads ISR, priority rotation and automatic EOI") {
    PicPair p;
    init_as_edk2(p, 0x20, 0x28);
    p.raise_edge(3);
    p.raise_edge(5);
    CHECK(p.acknowledge() == 0x23);
    p.write(0x20, 0x0b);
    CHECK(p.read(0x20) == 0x08);
    p.write(0x20, 0x0a);
    CHECK(p.read(0x20) == 0x20);
    p.write(0x20, 0xa0);  // rotate on non-specific EOI: IRQ3 done, IRQ4 highest
    CHECK(p.master().priority_add == 4);
    CHECK(p.acknowledge() == 0x25);
    p.write(0x20, 0xc7);  // set priority: IRQ7 lowest
    CHECK(p.master().priority_add == 0);
    // ICW4 with AEOI: in service never set.
    p.write(0x20, 0x11);
    p.write(0x21, 0x40);
    p.write(0x21, 0x04);
    p.write(0x21, 0x03);
    p.raise_edge(1);
    CHECK(p.acknowledge() == 0x41);
    CHECK(p.master().isr == 0);
}

TEST_CASE("svm pic: poll mode answers the IRQ and takes it") {
    PicPair p;
    init_as_edk2(p, 0x20, 0x28);
    p.write(0x20, 0x0c);
    CHECK(p.read(0x20) == 0);
    p.raise_edge(4);
    p.write(0x20, 0x0c);
    CHECK(p.read(0x20) == 0x84);
    CHECK(p.master().isr == 0x10);
}
