// libFuzzer target: OVMF images (footer table, SEV metadata) from the host.
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/ovmf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace warden::ovmf;
    auto fw = parse(std::span<const uint8_t>(data, size));
    if (!fw) return 0;
    // What it accepts is below the flash, page granular and disjoint.
    for (size_t i = 0; i < fw->section_count; ++i) {
        const auto& s = fw->sections[i];
        if (s.range.size == 0 || s.range.base.raw() % 4096 || s.range.end() > fw->flash.base) __builtin_trap();
        for (size_t j = 0; j < i; ++j) {
            if (fw->sections[j].range.overlaps(s.range)) __builtin_trap();
        }
    }
    return 0;
}
