#include <doctest/doctest.h>

#include "warden/svm/pci_config.hpp"

using namespace warden::svm;

namespace {

uint32_t addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
    return kPciEnable | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

// Config mechanism #1 as OVMF's PciCf8Lib does it: the address, then the
// data port at the register's byte lane.
uint32_t cfg_read(PciConfigSpace& s, unsigned dev, unsigned fn, unsigned reg, unsigned size) {
    s.write(kPciAddressPort, 4, addr(0, dev, fn, reg));
    return s.read(static_cast<uint16_t>(kPciDataPort + (reg & 3)), size);
}
PciWrite cfg_write(PciConfigSpace& s, unsigned dev, unsigned fn, unsigned reg, unsigned size, uint32_t v) {
    s.write(kPciAddressPort, 4, addr(0, dev, fn, reg));
    return s.write(static_cast<uint16_t>(kPciDataPort + (reg & 3)), size, v);
}

}  // namespace

// The values come from the sources, not from the model's tables: EDK2
// I440FxPiix4.h (INTEL_82441_DEVICE_ID 0x1237, PMBA 0x40, PMREGMISC 0x80
// bit 0, PMBA mask bits 15:6), QEMU hw/pci/pci_ids.h (0x7000, 0x7113),
// PCI 3.0 (0xCF8, 0xCFC, enable bit 31).
TEST_CASE("svm pci_config: constants") {
    CHECK(kPciAddressPort == 0xcf8);
    CHECK(kPciDataPort == 0xcfc);
    CHECK(kPciEnable == 0x80000000);
    CHECK(kDeviceI440fx == 0x1237);
    CHECK(kDevicePiix3Isa == 0x7000);
    CHECK(kDevicePiix4Pm == 0x7113);
    CHECK(kPmba == 0x40);
    CHECK(kPmregmisc == 0x80);
    CHECK(kPmiose == 1);
    CHECK(kPmbaMask == 0xffc0);
}

TEST_CASE("svm pci_config: the three functions' IDs, classes and header types") {
    PciConfigSpace s;
    CHECK(cfg_read(s, 0, 0, 0x00, 4) == 0x12378086);
    CHECK((cfg_read(s, 0, 0, 0x08, 4) >> 8) == 0x060000);
    CHECK(cfg_read(s, 0, 0, 0x08, 1) == 0x02);
    CHECK(cfg_read(s, 0, 0, 0x0e, 1) == 0x00);
    CHECK(cfg_read(s, 1, 0, 0x00, 4) == 0x70008086);
    CHECK((cfg_read(s, 1, 0, 0x08, 4) >> 8) == 0x060100);
    CHECK(cfg_read(s, 1, 0, 0x0e, 1) == 0x80);  // multifunction: 0:1.3 exists
    CHECK(cfg_read(s, 1, 3, 0x00, 4) == 0x71138086);
    CHECK(cfg_read(s, 1, 3, 0x08, 4) == 0x06800003);
    CHECK(cfg_read(s, 1, 3, 0x40, 4) == 0x00000001);  // PMBA: an I/O base, not yet placed
    CHECK(cfg_read(s, 1, 3, 0x80, 1) == 0);           // PM I/O off
    CHECK(cfg_read(s, 0, 0, 0x2c, 4) == 0x11001af4);
    CHECK(cfg_read(s, 0, 0, 0x72, 1) == 0x02);
    CHECK(cfg_read(s, 1, 0, 0x60, 4) == 0x80808080);
    CHECK(cfg_read(s, 1, 0, 0x4c, 4) == 0x0003004d);  // IORT, XBCS as QEMU resets them
    CHECK(cfg_read(s, 1, 0, 0x69, 1) == 0x02);
    CHECK_FALSE(s.pm_io().enabled);
}

TEST_CASE("svm pci_config: bytes and words at every lane of the data port") {
    PciConfigSpace s;
    CHECK(cfg_read(s, 0, 0, 0x01, 1) == 0x80);
    CHECK(cfg_read(s, 0, 0, 0x02, 2) == 0x1237);
    CHECK(cfg_read(s, 0, 0, 0x03, 1) == 0x12);
    CHECK(cfg_read(s, 0, 0, 0x01, 2) == 0x3780);  // a word at 0xCFD: bytes 1 and 2
    CHECK(cfg_read(s, 1, 3, 0x0a, 2) == 0x0680);
    // A word at 0xCFF: its second byte is port 0xD00, no device.
    CHECK(cfg_read(s, 0, 0, 0x03, 2) == 0xff12);
    // A dword at 0xCFE: two bytes of the register, two of nothing.
    CHECK(cfg_read(s, 0, 0, 0x02, 4) == 0xffff1237);
}

TEST_CASE("svm pci_config: CONFIG_ADDRESS is a dword at 0xCF8; reserved bits read 0") {
    PciConfigSpace s;
    s.write(kPciAddressPort, 4, 0xffffffff);
    CHECK(s.read(kPciAddressPort, 4) == kPciAddressBits);
    s.write(kPciAddressPort, 4, 0x80000000);
    CHECK(s.read(kPciAddressPort, 4) == 0x80000000);
    // Bytes and words at 0xCF8..0xCFB are not the register (0xCF9 is
    // PIIX3's reset control on QEMU, not modelled): all ones, no write.
    s.write(kPciAddressPort, 1, 0x12);
    s.write(kPciAddressPort, 2, 0x1234);
    s.write(kPciAddressPort + 1, 1, 0x06);
    CHECK(s.read(kPciAddressPort, 4) == 0x80000000);
    CHECK(s.read(kPciAddressPort, 1) == 0xff);
    CHECK(s.read(kPciAddressPort + 2, 2) == 0xffff);
    CHECK(s.read(kPciAddressPort + 1, 4) == 0xffffffff);
}

TEST_CASE("svm pci_config: without the enable bit the data port reads all ones and writes nothing") {
    PciConfigSpace s;
    s.write(kPciAddressPort, 4, addr(0, 0, 0, 0) & ~kPciEnable);
    CHECK(s.read(kPciDataPort, 4) == 0xffffffff);
    CHECK(s.read(kPciDataPort + 2, 2) == 0xffff);
    s.write(kPciAddressPort, 4, addr(0, 1, 0, 0x60) & ~kPciEnable);
    s.write(kPciDataPort, 1, 0x0b);
    CHECK(cfg_read(s, 1, 0, 0x60, 1) == 0x80);
}

TEST_CASE("svm pci_config: every other bus, device and function reads all ones; writes change nothing") {
    PciConfigSpace s;
    const struct {
        unsigned bus, dev, fn;
    } absent[] = {{0, 0, 1}, {0, 1, 1}, {0, 1, 2}, {0, 1, 4}, {0, 2, 0}, {0, 31, 7}, {1, 0, 0}, {255, 1, 3}};
    for (const auto& a : absent) {
        s.write(kPciAddressPort, 4, addr(a.bus, a.dev, a.fn, 0));
        CHECK(s.read(kPciDataPort, 4) == 0xffffffff);
        CHECK(s.read(kPciDataPort + 1, 1) == 0xff);
        const PciWrite w = s.write(kPciDataPort, 4, 0x12345678);
        CHECK(w.refused_bits);
        CHECK(w.function == PciFunction::kNone);
        CHECK(s.read(kPciDataPort, 4) == 0xffffffff);
    }
    // Nothing of the modelled functions changed either.
    CHECK(cfg_read(s, 0, 0, 0, 4) == 0x12378086);
    CHECK(cfg_read(s, 1, 3, 0x40, 4) == 1);
}

TEST_CASE("svm pci_config: writes to read-only fields change nothing and are reported") {
    PciConfigSpace s;
    const struct {
        unsigned dev, fn, reg, size;
        uint32_t value;
        uint32_t after;  // the register read back with the same size
    } cases[] = {
        {0, 0, 0x00, 4, 0xdeadbeef, 0x12378086},  // vendor and device
        {0, 0, 0x08, 4, 0, 0x06000002},           // revision and class
        {1, 0, 0x0e, 1, 0x00, 0x80},              // header type
        {0, 0, 0x72, 1, 0x4a, 0x02},              // SMRAM: no SMM here
        {0, 0, 0x57, 1, 0x10, 0x00},              // unmodelled byte of a function
        {1, 3, 0x42, 2, 0xffff, 0x0000},          // PMBA 31:16 reserved
        {1, 0, 0x64, 1, 0x0b, 0x00},              // past PIRQRC[D]
        {0, 0, 0x59, 1, 0x33, 0x30},              // PAM0's low half is reserved
        {1, 0, 0x61, 1, 0xff, 0x8f},              // PIRQRC 6:4 reserved
    };
    for (const auto& c : cases) {
        CAPTURE(c.reg);
        const PciWrite w = cfg_write(s, c.dev, c.fn, c.reg, c.size, c.value);
        CHECK(w.refused_bits);
        CHECK(w.offset == c.reg);
        CHECK(cfg_read(s, c.dev, c.fn, c.reg, c.size) == c.after);
    }
    // The same value written back is not a refusal (a read-modify-write).
    CHECK_FALSE(cfg_write(s, 0, 0, 0x00, 4, 0x12378086).refused_bits);
}

TEST_CASE("svm pci_config: the fields OVMF writes read back what it wrote") {
    PciConfigSpace s;
    CHECK_FALSE(cfg_write(s, 1, 0, 0x60, 4, 0x0a0a0b0b).refused_bits);  // BDS: PIRQ A-D to IRQ 11, 11, 10, 10
    CHECK(cfg_read(s, 1, 0, 0x60, 4) == 0x0a0a0b0b);
    CHECK_FALSE(cfg_write(s, 0, 0, 0x5a, 1, 0x33).refused_bits);  // PAM1 both halves read/write
    CHECK(cfg_read(s, 0, 0, 0x5a, 1) == 0x33);
    CHECK_FALSE(cfg_write(s, 0, 0, 0x59, 1, 0x30).refused_bits);
    CHECK_FALSE(cfg_write(s, 1, 3, 0x3c, 1, 0x09).refused_bits);  // interrupt line
    CHECK(cfg_read(s, 1, 3, 0x3c, 1) == 0x09);
    CHECK_FALSE(cfg_write(s, 1, 3, 0x04, 1, 0x01).refused_bits);  // PCICMD.IOSE (PlatformPei)
    CHECK(cfg_read(s, 1, 3, 0x04, 2) == 0x0001);
    CHECK(cfg_write(s, 0, 0, 0x04, 2, 0xffff).refused_bits);  // only IO, memory, master, SERR, INTx disable
    CHECK(cfg_read(s, 0, 0, 0x04, 2) == 0x0507);
}

TEST_CASE("svm pci_config: PMBA takes bits 15:6, bit 0 reads 1; PMREGMISC maps the PM block") {
    PciConfigSpace s;
    // PlatformPei: PciAndThenOr32(PMBA, ~0xffc0, 0xb000), PCICMD |= IOSE, PMREGMISC |= PMIOSE.
    const uint32_t pmba = cfg_read(s, 1, 3, kPmba, 4);
    CHECK_FALSE(cfg_write(s, 1, 3, kPmba, 4, (pmba & ~kPmbaMask) | 0xb000).pm_io_changed);
    CHECK(cfg_read(s, 1, 3, kPmba, 4) == 0xb001);
    CHECK_FALSE(s.pm_io().enabled);
    const PciWrite on = cfg_write(s, 1, 3, kPmregmisc, 1, kPmiose);
    CHECK(on.pm_io_changed);
    CHECK(s.pm_io().enabled);
    CHECK(s.pm_io().base == 0xb000);
    // Relocation: bits outside 15:6 are dropped, bit 0 stays 1.
    const PciWrite moved = cfg_write(s, 1, 3, kPmba, 4, 0x0000603f);
    CHECK(moved.pm_io_changed);
    CHECK(moved.refused_bits);  // 5:1 reserved, bit 0 read-only
    CHECK(cfg_read(s, 1, 3, kPmba, 4) == 0x6001);
    CHECK(s.pm_io().base == 0x6000);
    CHECK(cfg_write(s, 1, 3, kPmba + 1, 1, 0x07).pm_io_changed);  // a byte write of 15:8
    CHECK(s.pm_io().base == 0x0700);
    CHECK_FALSE(cfg_write(s, 1, 3, kPmba + 1, 1, 0x07).pm_io_changed);  // unchanged
    CHECK(cfg_write(s, 1, 3, kPmregmisc, 1, 0).pm_io_changed);
    CHECK_FALSE(s.pm_io().enabled);
    CHECK(cfg_write(s, 1, 3, kPmregmisc, 1, 0xfe).refused_bits);  // only bit 0
    CHECK(cfg_read(s, 1, 3, kPmregmisc, 1) == 0);
}

TEST_CASE("svm pci_config: malformed sizes read all ones and write nothing") {
    PciConfigSpace s;
    s.write(kPciAddressPort, 4, addr(0, 1, 0, 0x60));
    for (unsigned size : {0u, 3u, 5u, 8u, 0xffffffffu}) {
        CAPTURE(size);
        CHECK(s.read(kPciDataPort, size) == 0xffffffff);
        CHECK(s.read(kPciAddressPort, size) == 0xffffffff);
        CHECK_FALSE(s.write(kPciDataPort, size, 0x0b0b0b0b).refused_bits);
        s.write(kPciAddressPort, size, 0);
    }
    CHECK(s.read(kPciAddressPort, 4) == addr(0, 1, 0, 0x60));
    CHECK(s.read(kPciDataPort, 4) == 0x80808080);
}
