// The checks image's run (run.hpp): the native harness's calls in its order
// (checks.hpp), then every vCPU's verdict line, in vCPU order,
//   harness: vcpu=<n> svsm_calls=<n> checks=<n> passed=<n> failed=<n>
// and vCPU 0 terminates the guest with the verdict.
#include <atomic>

#include "checks.hpp"
#include "console.hpp"
#include "ghcb.hpp"
#include "run.hpp"
#include "svsm.hpp"

namespace harness {

namespace {

// The vCPUs done with their checks, those with a failed one, and whose
// turn it is to print its verdict. The verdicts are printed one vCPU after
// another once every vCPU is done: COM1 is shared with the host's and
// Warden's lines, and while checks run on other vCPUs the host's report of
// a probe could cut a verdict line in two. vCPU 0 terminates the guest
// (which ends the run) only when every vCPU has said its verdict.
std::atomic<unsigned> finished{0}, failing{0}, printing{0};

void wait_until(Vcpu& v, const std::atomic<unsigned>& counter, unsigned value) {
    while (counter.load() != value) give_vmpl0_its_turn(v);
}

[[noreturn]] void finish(Vcpu& v, const Tally& t) {
    if (t.failed != 0) failing.fetch_add(1);
    finished.fetch_add(1);
    wait_until(v, finished, v.boot.vcpu_count);
    wait_until(v, printing, v.boot.vcpu_index);
    log("harness: vcpu={} svsm_calls={} checks={} passed={} failed={}", v.boot.vcpu_index, t.calls, t.passed + t.failed,
        t.passed, t.failed);
    printing.fetch_add(1);
    if (v.boot.vcpu_index != 0) {
        for (;;) give_vmpl0_its_turn(v);
    }
    wait_until(v, printing, v.boot.vcpu_count);
    // Done: nothing more to ask of the SVSM. Terminate with the verdict
    // (kReasonPassed, kReasonChecksFailed) so the host's line says which.
    terminate(kReasonSetHarness, failing.load() == 0 ? kReasonPassed : kReasonChecksFailed);
}

}  // namespace

void run(Vcpu& v) {
    Tally t;
    linux_order(v, t);
    malformed(v, t);
    attestation(v, t);
    vtpm(v, t);
    taken_vmsa(v, t);
    platform_view(v, t);
    chipset_view(v, t);
    interrupt_view(v, t);
    finish(v, t);
}

}  // namespace harness
