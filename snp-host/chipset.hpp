// The guest's chipset as the host emulates it (docs/snp-host.md, "The
// guest's PCI configuration space and PM timer"): lib's register model of
// the PCI configuration space (i440FX, PIIX3 ISA, PIIX4 PM) and the PIIX4 PM
// block, one per machine under its own lock, and the TSC rate the PM timer
// is derived from. L1's chipset is never reached by the guest.
#pragma once

#include <array>
#include <cstdint>

#include "warden/spinlock.hpp"
#include "warden/svm/acpi_pm.hpp"
#include "warden/svm/pci_config.hpp"

namespace snp_host {

struct Vcpu;

struct Chipset {
    warden::SpinLock lock;  // every vCPU's accesses: one device
    warden::svm::PciConfigSpace config;
    warden::svm::AcpiPm pm;
    uint64_t tsc_hz = 0;     // measured against L1's PIT at start (chipset_init)
    uint64_t start_tsc = 0;  // the PM timer's zero: the machine's start, as QEMU's counts from its own
    bool said_pm_io = false;
    // Read-only bytes a write tried to change, each said once (per function,
    // and one row for functions that do not exist).
    std::array<std::array<bool, 256>, 4> said_refused{};
};

// Measures the TSC rate against L1's 8254 PIT (channel 2) before any guest
// runs: the PIT is passed through to the guest later.
void chipset_init(Chipset& c);
// The guest's port access if the chipset decodes it (0xCF8..0xCFF, and the
// PM block while PMREGMISC maps it): true, with value filled for an IN.
bool chipset_io(Vcpu& v, uint16_t port, unsigned size, bool in, uint32_t& value);

}  // namespace snp_host
