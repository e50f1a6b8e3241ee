// libFuzzer target: the emulated SNP host's decoder of intercepted
// instructions (guest bytes at RIP).
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/svm/insn_decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto d = warden::svm::decode_intercepted(std::span<const uint8_t>(data, size));
    if (d && (d->length == 0 || d->length > size || d->length > warden::svm::kMaxInsnLength)) __builtin_trap();
    return 0;
}
