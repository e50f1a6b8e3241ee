// libFuzzer target: the ELF loader's parser (service images).
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/elf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const uint8_t> f(data, size);
    auto img = warden::elf::parse(f, 0x400000, 0x800000000000);
    if (!img) return 0;
    // Accepted images keep the loader's promises.
    for (size_t i = 0; i < img->count; ++i) {
        const auto& s = img->segments[i];
        if (s.writable && s.executable) __builtin_trap();
        if (s.filesz > s.memsz || s.offset + s.filesz > size) __builtin_trap();
        if (s.vaddr < 0x400000 || s.vaddr + s.memsz > 0x800000000000) __builtin_trap();
    }
    if (!img->manifest.empty() &&
        (img->manifest.data() < data || img->manifest.data() + img->manifest.size() > data + size)) {
        __builtin_trap();
    }
    return 0;
}
