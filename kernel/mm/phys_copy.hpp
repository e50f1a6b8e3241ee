// Copying out of physical memory the direct map does not cover (firmware
// tables in reserved or ACPI regions): each page is mapped read-only and NX
// into a window, copied, and unmapped. Copy first, then parse the copy.
#pragma once

#include <span>

#include "warden/addr.hpp"
#include "warden/result.hpp"

namespace warden::mm {

Result<void> copy_from_phys(PhysAddr source, std::span<uint8_t> out);

}  // namespace warden::mm
