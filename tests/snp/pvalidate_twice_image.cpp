// A negative image for the emulated SNP host (docs/snp-host.md): the kernel
// PVALIDATEs one of its own frames that is already validated. The hardware
// answers success with CF = 1: the Validated bit already had the requested
// value and nothing changed (APM vol. 2 15.36.6; MSVC `__pvalidate`).
// Warden's SNP platform relies on that answer (sev::Validation::kUnchanged).
// It is not a fault, so the host prints no report line: the image prints
// EAX and CF of three PVALIDATEs of the same frame (rescind, validate,
// validate again), so that only a host which tracks the Validated bit
// answers CF = 0, 0, 1. The snp suite requires the three lines and the
// host's count of unchanged PVALIDATEs to rise by exactly one.
#include "arch/x86_64/cpu.hpp"
#include "log.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "task/log_ring.hpp"
#include "test/ktest.hpp"

namespace {

warden::arch::PvalidateResult pvalidate_and_say(uint64_t va, bool valid, const char* what) {
    const auto r = warden::arch::pvalidate(va, false, valid);
    warden::log::raw("snp-negative: PVALIDATE {}: eax {} cf {}", what, r.eax, r.carry ? 1 : 0);
    return r;
}

}  // namespace

KTEST("snp negative: PVALIDATE of a validated page answers CF=1") {
    // The ready line first through COM1: the host prints its counters on that
    // exit, so the PVALIDATEs below are counted after them.
    warden::task::log_ring::flush(2'000'000);
    auto frame = warden::mm::alloc_frames(0);
    KCHECK(frame.ok());
    if (!frame.ok()) return;
    const uint64_t va = reinterpret_cast<uint64_t>(warden::mm::phys_to_virt(*frame));
    const auto rescind = pvalidate_and_say(va, false, "rescind a validated page");
    KCHECK(rescind.eax == 0 && !rescind.carry);
    const auto validate = pvalidate_and_say(va, true, "validate it again");
    KCHECK(validate.eax == 0 && !validate.carry);
    const auto twice = pvalidate_and_say(va, true, "of a validated page");
    KCHECK(twice.eax == 0);
    KCHECK(twice.carry);
}
