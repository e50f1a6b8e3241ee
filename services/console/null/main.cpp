// A console that discards the log (for measurements without output cost).
#include "../drain.hpp"

WARDEN_SERVICE_MANIFEST(.name = "console", .serves = "console", .uses = {}, .ports = {}, .cpu = warden::abi::kAnyCpu,
                        .flags = warden::abi::kManifestConsole | warden::abi::kManifestRestartable);

extern "C" int64_t service_main() {
    console::run([](char) {});
}
