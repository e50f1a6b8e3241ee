// The guest's PCI configuration space as the emulated SNP host presents it:
// configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2: CONFIG_ADDRESS
// at 0xCF8, CONFIG_DATA at 0xCFC..0xCFF) over three functions of QEMU's pc
// machine -- 0:0.0 the i440FX host bridge, 0:1.0 the PIIX3 ISA bridge, 0:1.3
// the PIIX4 power-management function (hw/pci-host/i440fx.c, hw/isa/piix.c,
// hw/acpi/piix4.c). Every other bus, device and function reads all ones.
// Each byte has a write mask: a write changes only the bits the mask allows,
// whatever the guest sends. Every access comes from the guest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace warden::svm {

inline constexpr uint16_t kPciAddressPort = 0xcf8, kPciDataPort = 0xcfc;
inline constexpr uint32_t kPciEnable = 1u << 31;
// CONFIG_ADDRESS: enable 31, bus 23:16, device 15:11, function 10:8,
// register 7:2; 30:24 and 1:0 are reserved and read 0 (PCI 3.0 3.2.2.3.2).
inline constexpr uint32_t kPciAddressBits = 0x80fffffc;

inline constexpr uint16_t kVendorIntel = 0x8086;
inline constexpr uint16_t kDeviceI440fx = 0x1237;    // 82441FX PMC (OVMF INTEL_82441_DEVICE_ID)
inline constexpr uint16_t kDevicePiix3Isa = 0x7000;  // 82371SB function 0
inline constexpr uint16_t kDevicePiix4Pm = 0x7113;   // 82371AB function 3
inline constexpr uint32_t kClassHostBridge = 0x060000, kClassIsaBridge = 0x060100, kClassOtherBridge = 0x068000;

// The PIIX4 PM function's registers OVMF programs (EDK2 IndustryStandard/
// I440FxPiix4.h): PMBA, the PM I/O base (15:6, 64 bytes; bit 0 reads 1, an
// I/O space), and PMREGMISC bit 0, PMIOSE, which maps the PM registers.
inline constexpr uint8_t kPmba = 0x40, kPmregmisc = 0x80;
inline constexpr uint32_t kPmbaMask = 0xffc0;
inline constexpr uint8_t kPmiose = 0x01;
inline constexpr uint16_t kPmIoBytes = 64;

// The functions modelled, in the order of PciConfigSpace's storage.
enum class PciFunction : uint8_t { kHostBridge, kIsaBridge, kPm, kNone };

// Which function a CONFIG_ADDRESS value names (kNone: reads all ones).
PciFunction pci_function(uint32_t address);

// What a port write did, for the host's log.
struct PciWrite {
    bool refused_bits = false;  // it tried to change bits that are read-only (or of no function)
    PciFunction function = PciFunction::kNone;
    uint8_t offset = 0;          // the first such byte's register offset
    bool pm_io_changed = false;  // PMBA or PMREGMISC now map the PM registers elsewhere, or not at all
};

struct PmIo {
    bool enabled = false;
    uint16_t base = 0;
};

class PciConfigSpace {
public:
    PciConfigSpace();

    // Whether port is one of 0xCF8..0xCFF.
    static bool claims(uint16_t port) { return port >= kPciAddressPort && port <= kPciDataPort + 3; }
    // A port access of `size` bytes at `port` (claims(port)). Only a dword
    // at 0xCF8 is CONFIG_ADDRESS; other accesses to 0xCF8..0xCFB read all
    // ones and write nothing. Data-port bytes past 0xCFF, and every byte
    // while the enable bit is clear, read all ones. A size other than 1, 2
    // or 4 reads all ones and writes nothing.
    uint32_t read(uint16_t port, unsigned size) const;
    PciWrite write(uint16_t port, unsigned size, uint32_t value);

    uint32_t address() const { return address_; }
    PmIo pm_io() const;
    uint8_t byte(PciFunction f, uint8_t offset) const { return regs_[static_cast<size_t>(f)][offset]; }

private:
    uint8_t data_byte(unsigned lane) const;
    void write_data_byte(unsigned lane, uint8_t value, PciWrite& w);

    uint32_t address_ = 0;
    std::array<std::array<uint8_t, 256>, 3> regs_{};
};

// The write mask of one register byte (0: read-only): what a test and the
// fuzz target hold the model to.
uint8_t pci_write_mask(PciFunction f, uint8_t offset);

}  // namespace warden::svm
