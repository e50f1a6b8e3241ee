// Benchmark service: a null system call, and call/reply to an echo task on
// the same CPU and on another, plain and with 4 KiB lent (read and written
// back by the echo task), in TSC cycles per operation (logged as
// "bench: NAME N cycles/op" for tools/bench_tasks.py).
#include "service.hpp"

WARDEN_SERVICE_MANIFEST(.name = "bench-ipc", .serves = "", .uses = {"echo-same", "echo-other"}, .ports = {}, .cpu = 1);

namespace {
constexpr uint64_t kRounds = 2000;

template <typename F>
uint64_t cycles_per(F&& op) {
    op();  // warm: first-touch faults and cold caches out of the figure
    const uint64_t t0 = svc::rdtsc();
    for (uint64_t i = 0; i < kRounds; ++i) op();
    return (svc::rdtsc() - t0) / kRounds;
}
}  // namespace

extern "C" int64_t service_main() {
    svc::Message in, out;
    int64_t bad = 0;
    const uint64_t null_call = cycles_per([] { (void)svc::ticks(); });
    const uint64_t same = cycles_per([&] { bad += svc::call(1, in, out, 5000) != 0; });
    const uint64_t other = cycles_per([&] { bad += svc::call(2, in, out, 5000) != 0; });
    // The same with 4 KiB lent, read and written back by the echo task.
    static uint8_t page[4096];
    svc::Message lend_in;
    lend_in.label = 1;
    const auto lend_call = [&](uint64_t h) {
        bad += svc::call(h, lend_in, out, 5000, page, sizeof page) != 0 || out.words[0] != 1;
    };
    const uint64_t same_lend = cycles_per([&] { lend_call(1); });
    const uint64_t other_lend = cycles_per([&] { lend_call(2); });
    svc::log("bench: null_syscall {} cycles/op", null_call);
    svc::log("bench: ipc_same_cpu {} cycles/op", same);
    svc::log("bench: ipc_cross_cpu {} cycles/op", other);
    svc::log("bench: ipc_same_cpu_lend_4k {} cycles/op", same_lend);
    svc::log("bench: ipc_cross_cpu_lend_4k {} cycles/op", other_lend);
    return bad;
}
