// Test service (issue 18's hostile test): a server that takes calls and never
// answers. Once it holds all its reply rights the kernel gives it no more
// calls (its receive is kBusy); it says so, waits, and exits, and the calls it
// held end with it.
#include "service.hpp"

WARDEN_SERVICE_MANIFEST(.name = "sink", .serves = "sink", .uses = {}, .ports = {}, .cpu = warden::abi::kAnyCpu);

extern "C" int64_t service_main() {
    svc::Message m;
    int64_t held = 0;
    for (;;) {
        const int64_t r = svc::receive(0, m, 50);
        if (r == 0 && m.reply != 0) ++held;
        if (r == -static_cast<int64_t>(warden::Error::kBusy)) break;
    }
    svc::log("holds {} unanswered calls; the kernel gives it no more", held);
    return held == 8 ? 0 : 1;  // ipc::kReplyRights
}
