// libFuzzer target: PVH start_info and memory map parsing (hypervisor input).
// The first 56 bytes are a start_info, the rest a memmap whose entry count is
// taken from the start_info when it parses, or from the first byte otherwise.
#include <cstddef>
#include <cstdint>
#include <span>

#include "memmap_invariants.hpp"
#include "warden/pvh.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace warden;
    const std::span<const uint8_t> all(data, size);
    const auto info = pvh::parse_start_info(all);
    const size_t head = size < pvh::kStartInfoSize ? size : pvh::kStartInfoSize;
    const auto rest = all.subspan(head);
    const uint32_t entries = info ? info->memmap_entries : (size ? data[0] : 0);
    MemoryMap map;
    if (pvh::parse_memmap(rest, entries, map)) {
        check_memmap_invariants(map);
    }
    return 0;
}
