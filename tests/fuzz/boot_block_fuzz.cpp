// libFuzzer target: the IGVM boot block (a measured page, parsed anyway).
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/igvm/boot_block.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace warden::igvm;
    auto b = parse_boot_block(std::span<const uint8_t>(data, size));
    if (!b) return 0;
    // Whatever it accepts lies where the entry tables map it: one page
    // directory of 2 MiB pages, below the C-bit.
    const uint64_t base = b->svsm.base.raw(), end = b->svsm.end().raw();
    if (base % kEntryMapPage != 0 || end % kEntryMapPage != 0 || base / kEntryMapBlock != (end - 1) / kEntryMapBlock ||
        b->c_bit >= 64 || end > uint64_t{1} << b->c_bit || end > kEntryMapLimit)
        __builtin_trap();
    if (b->boot_data.base < b->svsm.base || b->boot_data.end() > b->svsm.end() || b->cpuid < b->boot_data.base ||
        b->cpuid + 4096 > b->boot_data.end())
        __builtin_trap();
    // A firmware range, if any, ends at 4 GiB and leaves the SVSM memory alone.
    if (b->firmware.size != 0 && (b->firmware.end().raw() != kFirmwareEnd || b->firmware.overlaps(b->svsm)))
        __builtin_trap();
    if (b->firmware.size == 0 && b->firmware.base.raw() != 0) __builtin_trap();
    return 0;
}
