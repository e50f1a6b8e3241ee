// Console on the 16550 UART at COM1 (0x3F8; registers: PC16550D data sheet).
// The kernel programmed the line at boot; this service only writes.
#include "../drain.hpp"

WARDEN_SERVICE_MANIFEST(.name = "console", .serves = "console", .uses = {}, .ports = {{0x3f8, 8}, {0, 0}},
                        .cpu = warden::abi::kAnyCpu,
                        .flags = warden::abi::kManifestConsole | warden::abi::kManifestRestartable);

namespace {
constexpr uint16_t kData = 0x3f8, kLineStatus = 0x3fd;
constexpr uint8_t kThrEmpty = 0x20;
constexpr unsigned kFifo = 16;
unsigned room = 0;

void put(char c) {
    if (room == 0) {  // THR empty means the whole FIFO is free
        while (!(svc::io_in(kLineStatus, 1) & kThrEmpty)) {
        }
        room = kFifo;
    }
    (void)svc::io_out(kData, 1, static_cast<uint8_t>(c));
    --room;
}
}  // namespace

extern "C" int64_t service_main() {
    console::run([](char c) {
        if (c == '\n') put('\r');
        put(c);
    });
}
