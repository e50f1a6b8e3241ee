// In-kernel tests for what only runs on the (virtual) machine. A test image
// links files that declare KTEST cases; after boot the kernel runs them all,
// prints TAP (version 13) on the console and ends QEMU with the pass or fail
// code. tools/qemu_test.py reads the TAP.
#pragma once

#include <source_location>

#include "log.hpp"

namespace warden::ktest {

class Context {
public:
    // Records a failed check and prints it as a TAP diagnostic.
    bool check(bool ok, const char* what, const std::source_location& where = std::source_location::current()) {
        if (!ok) {
            ++failures_;
            log::raw("# check failed: {} at {}:{}", what, where.file_name(), where.line());
        }
        return ok;
    }
    unsigned failures() const { return failures_; }
    // Marks the case as not applicable here (TAP "# SKIP why"): only for a
    // platform that lacks what the case needs, never to hide a failure.
    void skip(const char* why) { skipped_ = why; }
    const char* skipped() const { return skipped_; }

private:
    unsigned failures_ = 0;
    const char* skipped_ = nullptr;
};

// Cases sit back to back in section warden_ktests; the explicit alignment
// keeps the compiler from padding some of them differently.
struct alignas(16) TestCase {
    const char* name;
    void (*run)(Context&);
};

// Runs every registered case; returns the number that failed. With no cases
// (the normal kernel image) it prints nothing and returns 0.
unsigned run_all();
// Number of registered cases: zero in a production image.
size_t count();

}  // namespace warden::ktest

#define KTEST_CAT2(a, b) a##b
#define KTEST_CAT(a, b) KTEST_CAT2(a, b)
// KTEST("memmap: RAM is found") { KCHECK(...); }
#define KTEST(name)                                                                                \
    static void KTEST_CAT(ktest_fn_, __LINE__)(::warden::ktest::Context&);                         \
    [[gnu::used, gnu::section("warden_ktests")]] static const ::warden::ktest::TestCase KTEST_CAT( \
        ktest_case_, __LINE__){name, KTEST_CAT(ktest_fn_, __LINE__)};                              \
    static void KTEST_CAT(ktest_fn_, __LINE__)([[maybe_unused]] ::warden::ktest::Context & ktest_ctx)
#define KCHECK(cond) ktest_ctx.check(static_cast<bool>(cond), #cond)
// KSKIP("IGVM gives no command line"): ends the case as skipped.
#define KSKIP(why)           \
    do {                     \
        ktest_ctx.skip(why); \
        return;              \
    } while (0)
