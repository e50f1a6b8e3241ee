// Finding the CPUs through ACPI: the RSDP (from the loader, or the BIOS
// areas), then the RSDT/XSDT, then the MADT; every table copied before it is
// parsed (lib/warden/acpi/madt.hpp).
#pragma once

#include "boot/boot_info.hpp"
#include "warden/acpi/madt.hpp"

namespace warden::platform {

Result<acpi::Madt> read_madt(const boot::BootInfo& info);

}  // namespace warden::platform
