// libFuzzer target: the guest's port accesses to the PCI configuration
// space and the PIIX4 PM block (svm/pci_config.hpp, svm/acpi_pm.hpp), as the
// host dispatches them. Invariants after every access: the IDs, classes and
// header types never change; no byte changes but in the bits its write mask
// allows (PMBA bit 0 stays 1); CONFIG_ADDRESS holds no reserved bit; the PM
// block's registers never hold SLP_EN nor a status bit but TMR_STS, and
// reads of its holes are all ones.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "warden/svm/acpi_pm.hpp"
#include "warden/svm/pci_config.hpp"

namespace {

using namespace warden::svm;

constexpr PciFunction kFunctions[] = {PciFunction::kHostBridge, PciFunction::kIsaBridge, PciFunction::kPm};

struct Snapshot {
    uint8_t bytes[3][256];
};

Snapshot snapshot(const PciConfigSpace& s) {
    Snapshot out;
    for (size_t f = 0; f < 3; ++f) {
        for (unsigned o = 0; o < 256; ++o) out.bytes[f][o] = s.byte(kFunctions[f], static_cast<uint8_t>(o));
    }
    return out;
}

void check(const PciConfigSpace& s, const Snapshot& before, const Snapshot& reset) {
    if (s.address() & ~kPciAddressBits) __builtin_trap();
    const Snapshot now = snapshot(s);
    for (size_t f = 0; f < 3; ++f) {
        for (unsigned o = 0; o < 256; ++o) {
            const uint8_t mask = pci_write_mask(kFunctions[f], static_cast<uint8_t>(o));
            if ((now.bytes[f][o] ^ before.bytes[f][o]) & ~mask) __builtin_trap();  // a read-only bit moved
            if ((now.bytes[f][o] ^ reset.bytes[f][o]) & ~mask) __builtin_trap();
        }
        // IDs (0x00-0x03), revision and class (0x08-0x0b), header type (0x0e).
        for (unsigned o : {0u, 1u, 2u, 3u, 8u, 9u, 10u, 11u, 14u}) {
            if (now.bytes[f][o] != reset.bytes[f][o]) __builtin_trap();
        }
    }
    if (!(s.byte(PciFunction::kPm, kPmba) & 1)) __builtin_trap();
}

}  // namespace

// Each 8-byte record: port selector, size, a time step, then the value.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    PciConfigSpace s;
    AcpiPm pm;
    const Snapshot reset = snapshot(s);
    uint64_t now = 0;
    for (size_t at = 0; at + 8 <= size; at += 8) {
        const uint8_t sel = data[at], width = data[at + 1];
        now += data[at + 2] * uint64_t{0x10000};
        uint32_t value;
        std::memcpy(&value, data + at + 4, 4);
        const bool in = data[at + 3] & 1;
        const unsigned sz = width & 7;  // 0..7: the valid sizes and malformed ones
        const PmIo io = s.pm_io();
        if (sel & 0x80) {
            const auto offset = static_cast<uint16_t>(sel & 0x3f);
            if (!io.enabled) continue;
            if (in) {
                const uint32_t v = pm.read(offset, sz, now);
                if (offset >= 0x0c && (sz == 1 || sz == 2 || sz == 4) && v != ~uint32_t{0} >> (32 - 8 * sz))
                    __builtin_trap();  // past the timer: nothing
                if (offset == kPmTimer && sz == 4 && v > kPmTimerMask) __builtin_trap();
            } else {
                (void)pm.write(offset, sz, value, now);
            }
            if (pm.control() & kSleepEnable) __builtin_trap();
            if (pm.status() & ~kTimerStatus) __builtin_trap();  // no other event exists here
            continue;
        }
        // Mostly well-formed addresses of the modelled functions, sometimes any.
        if ((sel & 0x70) == 0 && !in) {
            const uint32_t fn[] = {0, 1u << 11, (1u << 11) | (3u << 8), value & 0x00ffff00};
            value = kPciEnable | fn[(value >> 24) & 3] | (value & 0xfc);
        }
        const auto port = static_cast<uint16_t>(kPciAddressPort + (sel & 7));
        const Snapshot before = snapshot(s);
        if (in)
            (void)s.read(port, sz);
        else
            (void)s.write(port, sz, value);
        check(s, before, reset);
    }
    return 0;
}
