// Test service (issue 18's hostile test): the victim's server. Answers every
// call on "victim" with 2n + 1, as pong does, for as long as the system runs.
#include "service.hpp"

WARDEN_SERVICE_MANIFEST(.name = "victim-server", .serves = "victim", .uses = {}, .ports = {},
                        .cpu = warden::abi::kAnyCpu);

extern "C" int64_t service_main() {
    svc::Message m, r;
    for (;;) {
        if (svc::receive(0, m) != 0 || m.reply == 0) continue;
        r.words[0] = m.words[0] * 2 + 1;
        (void)svc::reply(m.reply, r);
    }
}
