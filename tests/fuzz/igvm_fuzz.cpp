// libFuzzer target: the IGVM file reader.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "warden/igvm/igvm.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static auto file = std::make_unique<warden::igvm::File>();
    if (!warden::igvm::parse(std::span<const uint8_t>(data, size), *file)) return 0;
    for (size_t i = 0; i < file->count; ++i) {
        const auto body = file->headers[i].body;
        if (body.data() < data || body.data() + body.size() > data + size) __builtin_trap();
    }
    return 0;
}
