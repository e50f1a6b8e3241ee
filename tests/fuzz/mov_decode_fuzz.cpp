// libFuzzer target: MOV decoding for MMIO #VC (bytes from interrupted code).
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/x86/mov_decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace warden::x86;
    Registers r;
    for (unsigned i = 0; i < 16; ++i) r.gpr(i) = 0x1000 * (i + 1);
    auto a = decode_mmio(std::span<const uint8_t>(data, size), r);
    if (!a) return 0;
    if (a->length == 0 || a->length > 15 || a->length > size) __builtin_trap();
    if (a->size != 1 && a->size != 2 && a->size != 4 && a->size != 8) __builtin_trap();
    if (a->reg > 15) __builtin_trap();
    apply_load(*a, r, ~uint64_t{0});
    (void)store_value(*a, r);
    return 0;
}
