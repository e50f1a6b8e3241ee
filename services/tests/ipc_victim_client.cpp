// Test service (issue 18's hostile test): the victim. Gives the hostile task
// two calls of its own to answer (one it gives up on), then makes kCalls
// calls to "victim" while the hostile task attacks; exits with the number of
// calls that did not get the victim server's exact answer.
#include "service.hpp"
#include "tally.hpp"

WARDEN_SERVICE_MANIFEST(.name = "victim-client", .serves = "", .uses = {"victim", "hostile-q"}, .ports = {},
                        .cpu = warden::abi::kAnyCpu);

extern "C" int64_t service_main() {
    using warden::Error;
    constexpr uint64_t kCalls = 300;
    service_test::Tally tally;
    svc::Message in, out;
    // The hostile task answers this one: the only reply right it ever holds.
    in.words[0] = 7;
    tally.expect(svc::call(2, in, out, 10'000), Error{}, "the call the hostile task may answer");
    tally.expect_true(out.words[0] == 8, "its answer is its own: 8");
    // This one it answers too late: the call is given up first.
    in.words[0] = 9;
    tally.expect(svc::call(2, in, out, 300), Error::kTimedOut, "a call given up before the hostile answer");
    int64_t bad = 0;
    for (uint64_t i = 0; i < kCalls; ++i) {
        in.words[0] = i;
        const int64_t r = svc::call(1, in, out, 5'000);
        if (r != 0 || out.words[0] != i * 2 + 1) ++bad;
    }
    svc::log("{} calls to victim, {} without the victim server's answer", kCalls, bad);
    return bad + tally.finish();
}
