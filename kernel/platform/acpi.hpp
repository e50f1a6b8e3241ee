// Finding the CPUs through ACPI: the RSDP (from the loader, or the BIOS
// areas), then the RSDT/XSDT, then the MADT; every table copied before it is
// parsed (lib/warden/acpi/madt.hpp).
#pragma once

#include "boot/boot_info.hpp"
#include "warden/acpi/madt.hpp"

namespace warden::platform {

Result<acpi::Madt> read_madt(const boot::BootInfo& info);

// The APIC IDs of the VM's CPUs, into ids: from the MADT, or under IGVM
// (no ACPI yet) the loader's vCPU count as APIC IDs 0..n-1 (how QEMU
// numbers a single-socket VM; docs/igvm.md). Logs where they came from.
Result<size_t> list_cpus(const boot::BootInfo& info, std::span<uint32_t> ids);

}  // namespace warden::platform
