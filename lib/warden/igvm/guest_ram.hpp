// The guest's RAM under an IGVM launch: what the loader's memory map (the
// MEMORY_MAP parameter, host input) says is RAM, minus the SVSM's own
// memory, each range trimmed inwards to whole 4 KiB pages. The SVSM memory
// is outside every region the map lists (Warden's default, 512 GiB: QEMU
// backs an IGVM range no RAM covers with a region of its own and lists it
// nowhere) or wholly inside one RAM region (--svsm-base inside RAM). What kernel/svsm
// may validate for the guest and grant to its VMPL, and nothing else.
#pragma once

#include <span>

#include "warden/memmap.hpp"

namespace warden::igvm {

// Writes the ranges, in address order, into out; returns how many.
// Errors: kOutOfRange (svsm empty, or touching a region of the map without
// lying wholly inside one RAM region: the boot block and the map disagree), kNoMemory (more ranges than out
// holds; nothing is dropped silently), kNotFound (no guest RAM is left).
Result<size_t> guest_ram(const MemoryMap& loader, PhysRange svsm, std::span<PhysRange> out);

}  // namespace warden::igvm
