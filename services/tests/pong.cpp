// Test service: answers every call on "pong" with 2n + 1.
#include "service.hpp"

WARDEN_SERVICE_MANIFEST(.name = "pong", .serves = "pong", .uses = {}, .ports = {}, .cpu = 2);

extern "C" int64_t service_main() {
    svc::Message m, r;
    for (;;) {
        if (svc::receive(0, m) != 0) continue;
        r.words[0] = m.words[0] * 2 + 1;
        (void)svc::reply(m.reply, r);
    }
}
