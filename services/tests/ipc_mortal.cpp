// Test service (issue 18's hostile test): a server that takes one call and
// exits without answering it.
#include "service.hpp"

WARDEN_SERVICE_MANIFEST(.name = "mortal", .serves = "mortal", .uses = {}, .ports = {}, .cpu = warden::abi::kAnyCpu);

extern "C" int64_t service_main() {
    svc::Message m;
    while (svc::receive(0, m) != 0 || m.reply == 0) {
    }
    return 0;
}
