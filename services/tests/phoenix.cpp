// Test service (issue 18, restarts): a restartable server that answers 2n + 1,
// and faults on the call it is asked to crash on (n = 0), holding it.
#include "service.hpp"

WARDEN_SERVICE_MANIFEST(.name = "phoenix", .serves = "phoenix", .uses = {}, .ports = {}, .cpu = warden::abi::kAnyCpu,
                        .flags = warden::abi::kManifestRestartable);

namespace {
volatile uintptr_t target = 0x10;  // unmapped; hidden from the optimiser
}

extern "C" int64_t service_main() {
    svc::Message m, r;
    for (;;) {
        if (svc::receive(0, m) != 0 || m.reply == 0) continue;
        if (m.words[0] == 0) *reinterpret_cast<volatile uint64_t*>(target) = 1;  // #PF, the call held
        r.words[0] = m.words[0] * 2 + 1;
        (void)svc::reply(m.reply, r);
    }
}
