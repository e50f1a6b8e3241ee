// The bench image's run (run.hpp; harness-bench.bin, docs/harness-guest.md
// "The bench image"): vCPU 0 validates and rescinds its scratch through the
// SVSM core protocol's PVALIDATE (SVSM spec 58019; SPEC-FACTS 7), with 2 MiB
// entries, then 4 KiB entries -- a full list (511) per call, then one per
// call -- timed with the TSC and each phase bracketed by the host's marks
// ("snp-bench: mark <phase> begin|end", snp-host port_io.cpp), so the host
// prints its world-switch counters around it. One line per phase:
//   harness-bench: pvalidate 4k: N pages in T us: X pages/s (E entries per call, C calls, S answered success) ...
// then "harness-bench: done ...", and the guest terminates with reason 0
// (every call answered as expected, every probe as expected) or 1.
#include <string_view>

#include "console.hpp"
#include "cpu.hpp"
#include "ghcb.hpp"
#include "run.hpp"
#include "svsm.hpp"
#include "tsc.hpp"
#include "warden/svsm/core.hpp"

namespace harness {

namespace {

using namespace warden;
using namespace warden::svsm;
using entry::kLargePage;

constexpr unsigned kMaxEntries = (kPage - 8) / 8;  // a list is one page: 8-byte header, 511 entries
constexpr uint64_t kSizeMismatch = kErrPvalidateBase + 6;
constexpr uint64_t kPagesPerLarge = kLargePage / kPage;

struct Phase {
    std::string_view mark;  // the host's bracket, also named on the result line
    bool validate, huge;
    unsigned per_call;  // entries per call
    uint64_t base, size;
};

struct Outcome {
    uint64_t calls = 0, success = 0, mismatch = 0, ticks = 0;
    bool stopped = false;  // an answer neither success nor an expected size mismatch
};

struct Totals {
    uint64_t calls = 0, success = 0, mismatch = 0;
    unsigned phases = 0, checks = 0, failed = 0;
};

// "snp-bench: mark <name> begin|end": the host prints every context's
// counters once the line's newline is out. The host takes a mark only at
// the start of a line, and Warden's console task may have stopped half way
// through one of its lines when it gave the guest its turn (one OUT per
// byte): so the mark starts with a newline of its own. The whole of it is
// one rep outsb, one #VC: nothing comes between its bytes.
void mark(std::string_view name, bool begin) {
    fmt::FixedString<96> line;
    fmt::format(line, "\nsnp-bench: mark {} {}\n", name, begin ? "begin" : "end");
    write_line(line.view());
}

// One PVALIDATE call over n entries from `first`, each one entry size on.
// Returns RAX, or all ones when the hypervisor did not run VMPL0.
uint64_t pvalidate(Vcpu& v, uint64_t first, unsigned n, bool huge, bool validate) {
    auto* list = reinterpret_cast<volatile uint64_t*>(v.area->list);
    list[0] = n;  // entries; next = 0
    const uint64_t step = huge ? kLargePage : kPage;
    for (unsigned i = 0; i < n; ++i)
        list[1 + i] = encode_pvalidate_entry(PvalidateEntry{PhysAddr(first + i * step), huge, validate});
    const CallResult r =
        svsm_call(v, CallRegs{.rax = call_rax(kProtocolCore, static_cast<uint32_t>(CoreCall::kPvalidate)),
                              .rcx = gpa_of(v.area->list)});
    return r.ran ? r.regs.rax : ~uint64_t{0};
}
unsigned next_entry(const Vcpu& v) { return reinterpret_cast<const volatile uint16_t*>(v.area->list)[1]; }

// A 2 MiB page whose RMP entry the host split (FAIL_SIZEMISMATCH on a 2 MiB
// rescind) is rescinded as 512 4 KiB pages in two lists, as Linux does.
void rescind_as_4k(Vcpu& v, uint64_t large, Outcome& o) {
    for (uint64_t half = 0; half < 2; ++half) {
        ++o.calls;
        if (pvalidate(v, large + half * (kLargePage / 2), kPagesPerLarge / 2, false, false) == kSuccess)
            ++o.success;
        else
            o.stopped = true;
    }
}

Outcome run_phase(Vcpu& v, const Phase& p) {
    const uint64_t step = p.huge ? kLargePage : kPage, total = p.size / step;
    Outcome o;
    mark(p.mark, true);
    const uint64_t start = cpu::rdtsc();
    for (uint64_t done = 0; done < total && !o.stopped;) {
        const auto n = static_cast<unsigned>(total - done < p.per_call ? total - done : p.per_call);
        const uint64_t rax = pvalidate(v, p.base + done * step, n, p.huge, p.validate);
        ++o.calls;
        if (rax == kSuccess) {
            ++o.success;
            done += n;
        } else if (rax == kSizeMismatch && p.huge && !p.validate) {
            ++o.mismatch;
            const unsigned k = next_entry(v);  // the entries before it are rescinded
            rescind_as_4k(v, p.base + (done + k) * step, o);
            done += k + 1;
        } else {
            log("harness-bench: {}: call {} answered {:#x}", p.mark, o.calls, rax);
            o.stopped = true;
        }
    }
    o.ticks = cpu::rdtsc() - start;
    mark(p.mark, false);
    return o;
}

void expect(Totals& t, std::string_view what, bool cond) {
    ++t.checks;
    if (cond) return;
    ++t.failed;
    log("harness-bench: FAILED: {}", what);
}

// The phase's first and last 4 KiB pages: validated (and zeroed) or not, as
// the phase left them. Outside the brackets: a probe is no SVSM call.
void check_state(Vcpu& v, const Phase& p, Totals& t) {
    const uint64_t last = p.base + p.size - kPage;
    const bool first_ok = validated(v, p.base) == p.validate, last_ok = validated(v, last) == p.validate;
    expect(t, p.mark, first_ok && last_ok);
    if (p.validate && first_ok && last_ok)
        expect(t, p.mark,
               *reinterpret_cast<const volatile uint8_t*>(p.base) == 0 &&
                   *reinterpret_cast<const volatile uint8_t*>(last + kPage - 1) == 0);
}

void report(const Phase& p, const Outcome& o, uint64_t hz) {
    const uint64_t pages = p.size / kPage;
    fmt::FixedString<48> large;
    if (p.huge) fmt::format(large, " ({} x 2 MiB)", p.size / kLargePage);
    fmt::FixedString<64> mismatches;
    if (o.mismatch != 0) fmt::format(mismatches, ", {} size mismatches rescinded as 4 KiB", o.mismatch);
    log("harness-bench: {} {}: {} pages{} in {} us: {} pages/s ({} entries per call, {} calls, {} answered success{}) "
        "[mark {}]",
        p.validate ? "pvalidate" : "rescind", p.huge ? "2m" : "4k", pages, large.view(), ticks_to_us(o.ticks, hz),
        per_second(pages, o.ticks, hz), p.per_call, o.calls, o.success, mismatches.view(), p.mark);
}

void bench(Vcpu& v, Totals& t) {
    const TscRate tsc = calibrate_tsc();
    const uint64_t hz = tsc.hz;
    // One log line holds 240 bytes: this one, with its figures, stays under 200.
    log("harness-bench: TSC {} Hz ({} MHz): this guest's own measurement against the 8254 PIT, the lowest of {} "
        "gates of {} ms on channel 2 (each port access a #VC, to QEMU's PIT): {}..{} Hz",
        hz, hz / 1'000'000, kTscGates, kTscGateUs / 1000, tsc.lowest, tsc.highest);
    // The 2 MiB phases first, each on a half no 4 KiB access has touched yet:
    // a 2 MiB PVALIDATE needs the host's 2 MiB RMP entry whole, and the
    // SVSM's zeroing through 4 KiB windows splits it (PSMASH). The 4 KiB
    // phases then cover the whole scratch, already split.
    const uint64_t base = v.boot.scratch_gpa, size = v.boot.scratch_size, half = size / 2;
    const Phase phases[] = {
        {"empty", true, false, 0, base, 0},
        {"pvalidate-2m-all", true, true, kMaxEntries, base, half},
        {"rescind-2m-all", false, true, kMaxEntries, base, half},
        {"pvalidate-2m-x1", true, true, 1, base + half, half},
        {"rescind-2m-x1", false, true, 1, base + half, half},
        {"pvalidate-4k-x511", true, false, kMaxEntries, base, size},
        {"rescind-4k-x511", false, false, kMaxEntries, base, size},
        {"pvalidate-4k-x1", true, false, 1, base, size},
        {"rescind-4k-x1", false, false, 1, base, size},
    };
    for (const Phase& p : phases) {
        const Outcome o = run_phase(v, p);
        ++t.phases;
        t.calls += o.calls;
        t.success += o.success;
        t.mismatch += o.mismatch;
        expect(t, p.mark, !o.stopped);
        if (p.size == 0) continue;  // the empty bracket: what a mark line costs the host's counters
        report(p, o, hz);
        check_state(v, p, t);
    }
}

}  // namespace

void run(Vcpu& v) {
    // vCPU 0 measures; any other vCPU only gives VMPL0 its turns.
    if (v.boot.vcpu_index != 0) {
        for (;;) give_vmpl0_its_turn(v);
    }
    Totals t;
    if (v.boot.scratch_size < 2 * kLargePage || v.boot.scratch_size % (2 * kLargePage) != 0)
        expect(t, "a scratch of whole 2 MiB pages, an even number of them", false);
    else
        bench(v, t);
    log("harness-bench: done phases={} calls={} success={} size_mismatches={} checks={} failed={}", t.phases, t.calls,
        t.success, t.mismatch, t.checks, t.failed);
    terminate(kReasonSetHarness, t.failed == 0 ? kReasonPassed : kReasonChecksFailed);
}

}  // namespace harness
