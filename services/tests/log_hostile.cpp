// Test service: a hostile writer of the log (issue 18). It waits in a receive
// whose timeout used to wrap into one tick, then tries to print the kernel's
// ready line and another task's verdict on lines of their own, steers the
// terminal with escape sequences, and floods. The boot test
// (tests/qemu/task_test.cpp) wakes it, and the QEMU suite checks the console:
// its text escaped behind its own prefix, no forged line, its drops counted
// against it alone. Exits with the number of its lines the kernel refused,
// or minus the number of its own checks that failed.
#include "service.hpp"
#include "tally.hpp"

WARDEN_SERVICE_MANIFEST(.name = "log-hostile", .serves = "log-hostile", .uses = {}, .ports = {},
                        .cpu = warden::abi::kAnyCpu);

namespace {
using warden::Error;
service_test::Tally tally;

// * 100 ticks per second = 2^64 + 84: the old conversion made it 1 tick.
constexpr uint64_t kWrapsToOneTick = 184467440737095517;
constexpr uint64_t kWakeLabel = 0x6c6f672d77616b65;  // "log-wake", what the boot test sends
constexpr int kFloodLines = 2000;

int64_t log_bytes(const char* text, size_t len) {
    return svc::syscall(svc::Sys::kLog, reinterpret_cast<uint64_t>(text), len);
}

void forge(const char* what, const char* text, size_t len) { tally.expect(log_bytes(text, len), Error{}, what); }

template <size_t N>
void forge(const char* what, const char (&text)[N]) {
    forge(what, text, N - 1);
}

}  // namespace

extern "C" int64_t service_main() {
    svc::Message m;
    const int64_t woken = svc::receive(0, m, kWrapsToOneTick);
    tally.expect_true(woken == 0 && m.label == kWakeLabel, "a huge receive timeout waits for the boot test's message");

    forge("a fake ready line", "forge: \nwarden: ready cpus=9 tasks=99 free_kib=1 boot_us=1");
    forge("a fake verdict of ping", "forge: \r\n[ping] 200 calls, 200 bad, 1 cycles per call/reply");
    // Erase the line, return, set the terminal's title; DEL, 8-bit CSI, 0xff,
    // NUL; and the text of an escape, which must stay distinguishable.
    static const char kSteer[] = {'f',  'o',    'r',    'g',    'e',  ':', ' ',  '\x1b', '[', '2', 'K',
                                  '\r', '\x1b', ']',    '0',    ';',  'o', 'w',  'n',    'e', 'd', '\x07',
                                  ' ',  '\x7f', '\x9b', '\xff', '\0', ' ', '\\', 'x',    '1', 'b'};
    forge("escape sequences", kSteer, sizeof kSteer);
    static char longest[warden::abi::kMaxLog];
    for (char& c : longest) c = '\x1b';
    forge("the longest line, every byte escaped", longest, sizeof longest);

    int refused = 0;
    for (int i = 0; i < kFloodLines; ++i) {
        warden::fmt::FixedString<32> line;
        warden::fmt::format(line, "flood {}", i);
        const int64_t r = log_bytes(line.view().data(), line.view().size());
        if (r == -static_cast<int64_t>(Error::kBusy))
            ++refused;
        else
            tally.expect(r, Error{}, "a flood line within the budget");
    }
    tally.expect_true(refused > 0, "the flood ran over the budget");
    tally.expect_true(refused < kFloodLines, "the flood's first lines got through");

    // Let the budget fill again: this line gets through, after the kernel's
    // report of the drops.
    tally.expect(svc::receive(0, m, 100), Error::kTimedOut, "a 100 ms receive times out");
    warden::fmt::FixedString<64> summary;
    warden::fmt::format(summary, "flood: {} of {} lines refused", refused, kFloodLines);
    tally.expect(log_bytes(summary.view().data(), summary.view().size()), Error{},
                 "a line after the flood, once the budget refilled");
    const int failed = tally.finish();
    return failed != 0 ? -failed : refused;
}
