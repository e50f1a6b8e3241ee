// Console on QEMU's debug console port 0xE9 (isa-debugcon): one OUT per byte,
// no status to poll.
#include "../drain.hpp"

WARDEN_SERVICE_MANIFEST(.name = "console", .serves = "console", .uses = {}, .ports = {{0xe9, 1}, {0, 0}},
                        .cpu = warden::abi::kAnyCpu,
                        .flags = warden::abi::kManifestConsole | warden::abi::kManifestRestartable);

extern "C" int64_t service_main() {
    console::run([](char c) { (void)svc::io_out(0xe9, 1, static_cast<uint8_t>(c)); });
}
