// The guest's PCI configuration space (pci_config.hpp).
#include "warden/svm/pci_config.hpp"

namespace warden::svm {
namespace {

constexpr size_t index(PciFunction f) { return static_cast<size_t>(f); }

// What every modelled function shares (QEMU hw/pci/pci.c): the subsystem
// IDs QEMU gives a device without its own (vendor 0x1af4, device 0x1100),
// and the bits pci_init_wmask lets a guest write in the common header:
// command IO, memory, bus master, SERR and INTx disable (0x0507), the cache
// line size and the interrupt line.
constexpr uint16_t kSubsystemVendor = 0x1af4, kSubsystem = 0x1100;

uint8_t header_mask(uint8_t offset) {
    switch (offset) {
    case 0x04: return 0x07;
    case 0x05: return 0x05;
    case 0x0c:
    case 0x3c: return 0xff;
    default: return 0;
    }
}

}  // namespace

uint8_t pci_write_mask(PciFunction f, uint8_t offset) {
    if (f == PciFunction::kNone) return 0;
    if (offset < 0x40) return header_mask(offset);
    switch (f) {
    case PciFunction::kHostBridge:
        // PAM0..PAM6 (i440FX datasheet 290549; QEMU I440FX_PAM 0x59, 7
        // registers): read and write enables of each half, bits 1:0 and
        // 5:4 (QEMU's PAM_ATTR_MASK per nibble); PAM0's low half is
        // reserved. OVMF's DXE writes them (QemuVideoDxe's VBE shim).
        // SMRAM 0x72 stays read-only: no SMM on this platform.
        if (offset == 0x59) return 0x30;
        if (offset >= 0x5a && offset <= 0x5f) return 0x33;
        return 0;
    case PciFunction::kIsaBridge:
        // PIRQRC[A:D] 0x60..0x63 (PIIX3 datasheet 290550): bit 7 routing
        // disabled, 3:0 the IRQ; 6:4 reserved. OVMF's BDS writes them.
        return offset >= 0x60 && offset <= 0x63 ? 0x8f : 0;
    case PciFunction::kPm:
        if (offset == kPmba) return 0xc0;      // PMBA 7:6; bit 0 reads 1, 5:1 reserved
        if (offset == kPmba + 1) return 0xff;  // PMBA 15:8; 31:16 reserved
        if (offset == kPmregmisc) return kPmiose;
        return 0;
    case PciFunction::kNone: return 0;
    }
    return 0;
}

PciFunction pci_function(uint32_t address) {
    const uint32_t bus = (address >> 16) & 0xff, device = (address >> 11) & 0x1f, function = (address >> 8) & 7;
    if (bus != 0) return PciFunction::kNone;
    if (device == 0 && function == 0) return PciFunction::kHostBridge;
    if (device == 1 && function == 0) return PciFunction::kIsaBridge;
    if (device == 1 && function == 3) return PciFunction::kPm;
    return PciFunction::kNone;
}

PciConfigSpace::PciConfigSpace() {
    struct Identity {
        PciFunction f;
        uint16_t device;
        uint8_t revision;
        uint32_t class_code;
        uint8_t header;
        uint16_t command, status;
    };
    // Revision, command and status as QEMU resets them (i440fx.c revision 2;
    // piix.c: command 0x0007, status DEVSEL medium; piix4.c: revision 3,
    // status 0x0280); the ISA bridge's header says multifunction.
    static constexpr Identity kIds[] = {
        {PciFunction::kHostBridge, kDeviceI440fx, 0x02, kClassHostBridge, 0x00, 0x0000, 0x0000},
        {PciFunction::kIsaBridge, kDevicePiix3Isa, 0x00, kClassIsaBridge, 0x80, 0x0007, 0x0200},
        {PciFunction::kPm, kDevicePiix4Pm, 0x03, kClassOtherBridge, 0x00, 0x0000, 0x0280},
    };
    for (const Identity& id : kIds) {
        auto& r = regs_[index(id.f)];
        auto put16 = [&r](uint8_t at, uint16_t v) {
            r[at] = static_cast<uint8_t>(v);
            r[at + 1] = static_cast<uint8_t>(v >> 8);
        };
        put16(0x00, kVendorIntel);
        put16(0x02, id.device);
        put16(0x04, id.command);
        put16(0x06, id.status);
        r[0x08] = id.revision;
        r[0x09] = static_cast<uint8_t>(id.class_code);
        r[0x0a] = static_cast<uint8_t>(id.class_code >> 8);
        r[0x0b] = static_cast<uint8_t>(id.class_code >> 16);
        r[0x0e] = id.header;
        put16(0x2c, kSubsystemVendor);
        put16(0x2e, kSubsystem);
    }
    regs_[index(PciFunction::kHostBridge)][0x72] = 0x02;  // SMRAM: C_BASE_SEG 010 (A0000h), as QEMU
    for (uint8_t at = 0x60; at <= 0x63; ++at) regs_[index(PciFunction::kIsaBridge)][at] = 0x80;  // routing off
    // The rest of QEMU's PIIX3 reset (hw/isa/piix.c), read-only here: IORT
    // 0x4C, XBCS 0x4E, TOM 0x69, MBIRQ0 0x70, MBDMA 0x76/0x77, PCSC 0x78,
    // SMICNTL 0xA0.
    static constexpr struct {
        uint8_t at, value;
    } kIsaReset[] = {{0x4c, 0x4d}, {0x4e, 0x03}, {0x69, 0x02}, {0x70, 0x80},
                     {0x76, 0x0c}, {0x77, 0x0c}, {0x78, 0x02}, {0xa0, 0x08}};
    for (const auto& r : kIsaReset) regs_[index(PciFunction::kIsaBridge)][r.at] = r.value;
    regs_[index(PciFunction::kPm)][0x3d] = 0x01;   // interrupt pin INTA#
    regs_[index(PciFunction::kPm)][kPmba] = 0x01;  // an I/O base
}

PmIo PciConfigSpace::pm_io() const {
    const auto& r = regs_[index(PciFunction::kPm)];
    const uint32_t pmba = r[kPmba] | uint32_t{r[kPmba + 1]} << 8;
    return PmIo{.enabled = (r[kPmregmisc] & kPmiose) != 0, .base = static_cast<uint16_t>(pmba & kPmbaMask)};
}

uint8_t PciConfigSpace::data_byte(unsigned lane) const {
    const PciFunction f = pci_function(address_);
    if (!(address_ & kPciEnable) || f == PciFunction::kNone) return 0xff;
    return regs_[index(f)][(address_ & 0xfc) | lane];
}

void PciConfigSpace::write_data_byte(unsigned lane, uint8_t value, PciWrite& w) {
    const PciFunction f = pci_function(address_);
    const auto offset = static_cast<uint8_t>((address_ & 0xfc) | lane);
    const uint8_t mask = pci_write_mask(f, offset);
    uint8_t old = f == PciFunction::kNone ? 0xff : regs_[index(f)][offset];
    if (((value ^ old) & ~mask) != 0 && !w.refused_bits) {
        w.refused_bits = true;
        w.function = f;
        w.offset = offset;
    }
    if (f == PciFunction::kNone) return;
    regs_[index(f)][offset] = static_cast<uint8_t>((old & ~mask) | (value & mask));
}

uint32_t PciConfigSpace::read(uint16_t port, unsigned size) const {
    if (size != 1 && size != 2 && size != 4) return ~uint32_t{0};
    const uint32_t none = size == 4 ? ~uint32_t{0} : (uint32_t{1} << (8 * size)) - 1;
    if (port == kPciAddressPort && size == 4) return address_;
    if (port < kPciDataPort || port > kPciDataPort + 3) return none;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
        const unsigned p = port + i;
        const uint8_t b = p > kPciDataPort + 3u ? 0xff : data_byte(p & 3);
        v |= uint32_t{b} << (8 * i);
    }
    return v;
}

PciWrite PciConfigSpace::write(uint16_t port, unsigned size, uint32_t value) {
    PciWrite w;
    if (size != 1 && size != 2 && size != 4) return w;
    if (port == kPciAddressPort && size == 4) {
        address_ = value & kPciAddressBits;
        return w;
    }
    if (port < kPciDataPort || port > kPciDataPort + 3 || !(address_ & kPciEnable)) return w;
    const PmIo before = pm_io();
    for (unsigned i = 0; i < size; ++i) {
        const unsigned p = port + i;
        if (p > kPciDataPort + 3u) break;  // past CONFIG_DATA: no device there
        write_data_byte(p & 3, static_cast<uint8_t>(value >> (8 * i)), w);
    }
    const PmIo after = pm_io();
    w.pm_io_changed = before.enabled != after.enabled || (after.enabled && before.base != after.base);
    return w;
}

}  // namespace warden::svm
