// Runner for KTEST cases: TAP on the console.
#include "test/ktest.hpp"

extern "C" const warden::ktest::TestCase __ktests_start[];
extern "C" const warden::ktest::TestCase __ktests_end[];

namespace warden::ktest {

size_t count() { return static_cast<size_t>(__ktests_end - __ktests_start); }

unsigned run_all() {
    const size_t n = count();
    if (n == 0) return 0;
    log::raw("TAP version 13");
    log::raw("1..{}", n);
    unsigned failed = 0;
    for (size_t i = 0; i < n; ++i) {
        Context ctx;
        __ktests_start[i].run(ctx);
        if (ctx.failures() != 0) ++failed;
        if (ctx.skipped() != nullptr && ctx.failures() == 0) {
            log::raw("ok {} - {} # SKIP {}", i + 1, __ktests_start[i].name, ctx.skipped());
            continue;
        }
        log::raw("{}ok {} - {}", ctx.failures() ? "not " : "", i + 1, __ktests_start[i].name);
    }
    return failed;
}

}  // namespace warden::ktest
