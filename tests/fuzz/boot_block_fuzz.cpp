// libFuzzer target: the IGVM boot block (a measured page, parsed anyway).
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/igvm/boot_block.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace warden::igvm;
    auto b = parse_boot_block(std::span<const uint8_t>(data, size));
    if (!b) return 0;
    // Whatever it accepts lies where the kernel can reach it.
    if (b->svsm.end().raw() > kEntryMapLimit || b->boot_data.base < b->svsm.base ||
        b->boot_data.end() > b->svsm.end() || b->cpuid < b->boot_data.base || b->cpuid + 4096 > b->boot_data.end())
        __builtin_trap();
    return 0;
}
