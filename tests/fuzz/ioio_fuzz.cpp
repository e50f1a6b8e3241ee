// libFuzzer target: the #VC port-IO instruction decoder.
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/sev/ioio.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const uint16_t dx = static_cast<uint16_t>(data[0] | (data[1] << 8));
    auto io = warden::sev::decode_io(std::span<const uint8_t>(data + 2, size - 2), dx);
    if (!io) return 0;
    if (io->length == 0 || io->length > size - 2 || (io->size != 1 && io->size != 2 && io->size != 4)) __builtin_trap();
    (void)warden::sev::ioio_exit_info(*io);
    return 0;
}
