// The checks a test service makes and their tally: each counted, each
// failure said in one line; the service exits with the number of failures
// (0 = all good), which its boot test requires.
#pragma once

#include "service.hpp"

namespace service_test {

struct Tally {
    int checks = 0, failures = 0;

    // A system call answered with exactly this error.
    void expect(int64_t got, warden::Error want, const char* what) {
        ++checks;
        if (got == -static_cast<int64_t>(want)) return;
        ++failures;
        svc::log("FAILED {}: got {}, expected -{} ({})", what, got, static_cast<int>(want), warden::error_name(want));
    }
    void expect_true(bool ok, const char* what) {
        ++checks;
        if (ok) return;
        ++failures;
        svc::log("FAILED {}", what);
    }
    // "<n> checks, <m> failed", and m for the service's exit.
    int finish() const {
        svc::log("{} checks, {} failed", checks, failures);
        return failures;
    }
};

}  // namespace service_test
