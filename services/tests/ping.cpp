// Test service: calls "pong" kRounds times and checks every reply; logs the
// round-trip cost in TSC cycles. Exit code 0 when every reply matched.
#include "service.hpp"

WARDEN_SERVICE_MANIFEST(.name = "ping", .serves = "", .uses = {"pong"}, .ports = {}, .cpu = 1);

extern "C" int64_t service_main() {
    constexpr uint64_t kRounds = 200;
    int64_t bad = 0;
    svc::Message in, out;
    const uint64_t t0 = svc::rdtsc();
    for (uint64_t i = 0; i < kRounds; ++i) {
        in.label = 1;
        in.words[0] = i;
        const int64_t r = svc::call(1, in, out, 5000);
        if (r != 0 || out.words[0] != i * 2 + 1) ++bad;
    }
    const uint64_t per_call = (svc::rdtsc() - t0) / kRounds;
    svc::log("{} calls, {} bad, {} cycles per call/reply", kRounds, bad, per_call);
    return bad;
}
