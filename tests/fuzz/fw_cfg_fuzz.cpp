// libFuzzer target: the fw_cfg file directory (host input).
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/fw_cfg.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static warden::fw_cfg::Directory dir;
    if (!warden::fw_cfg::parse_directory(std::span<const uint8_t>(data, size), dir)) return 0;
    const auto* d = &dir;
    if (d->count > warden::fw_cfg::kMaxFiles || 4 + d->count * warden::fw_cfg::kFileEntrySize > size) __builtin_trap();
    for (size_t i = 0; i < d->count; ++i) {
        if (d->find(d->files[i].name_view()) == nullptr) __builtin_trap();
    }
    return 0;
}
