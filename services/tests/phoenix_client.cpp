// Test service (issue 18, restarts): crashes the restartable phoenix with a
// call, which ends with kPeerGone as phoenix faults; the next call is
// answered by the phoenix the kernel started in its place, with fresh memory.
#include "service.hpp"
#include "tally.hpp"

WARDEN_SERVICE_MANIFEST(.name = "phoenix-client", .serves = "", .uses = {"phoenix"}, .ports = {},
                        .cpu = warden::abi::kAnyCpu);

extern "C" int64_t service_main() {
    using warden::Error;
    service_test::Tally tally;
    svc::Message in, out;
    in.words[0] = 5;
    tally.expect(svc::call(1, in, out, 5'000), Error{}, "the first phoenix answers");
    tally.expect_true(out.words[0] == 11, "with 2n + 1");
    in.words[0] = 0;
    tally.expect(svc::call(1, in, out, 5'000), Error::kPeerGone, "the call phoenix faults holding");
    for (uint64_t n = 1; n <= 3; ++n) {
        in.words[0] = n;
        tally.expect(svc::call(1, in, out, 5'000), Error{}, "a call to the restarted phoenix");
        tally.expect_true(out.words[0] == 2 * n + 1, "its answer");
    }
    return tally.finish();
}
