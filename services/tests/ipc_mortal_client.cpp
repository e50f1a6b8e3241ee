// Test service (issue 18's hostile test): calls a server that exits holding
// the call. The call must end with kPeerGone as the server ends, not at the
// 5-second timeout; a second call finds the queue closed at once.
#include "service.hpp"
#include "tally.hpp"

WARDEN_SERVICE_MANIFEST(.name = "mortal-client", .serves = "", .uses = {"mortal"}, .ports = {},
                        .cpu = warden::abi::kAnyCpu);

extern "C" int64_t service_main() {
    using warden::Error;
    service_test::Tally tally;
    svc::Message in, out;
    const uint64_t t0 = svc::ticks();
    tally.expect(svc::call(1, in, out, 5'000), Error::kPeerGone, "a call its server ended holding");
    const uint64_t waited = svc::ticks() - t0;
    tally.expect_true(waited < 100, "it ended with the server, well before its 5 s timeout");
    tally.expect(svc::call(1, in, out, 5'000), Error::kPeerGone, "a call to the queue of an ended server");
    tally.expect(svc::send(1, in), Error::kPeerGone, "a send to it");
    svc::log("the call ended {} ticks after it began", waited);
    return tally.finish();
}
