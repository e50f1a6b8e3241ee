// The guest vCPU each CPU runs, where the kernel runs the guest (SNP: a
// lower VMPL of the same vCPU), and running it until it calls (guest.hpp).
// The VMSA page holds the guest's registers while VMPL0 runs: the call is
// read from a copy of it, the results written into it, and EFER.SVME is
// clear in between, so nobody runs the vCPU from a half-written page.
#include <cstring>

#include "arch/x86_64/percpu.hpp"
#include "log.hpp"
#include "mm/layout.hpp"
#include "platform/guest_window.hpp"
#include "svsm/guest.hpp"
#include "warden/spinlock.hpp"
#include "warden/svsm/vmsa_call.hpp"

namespace warden::guest {
namespace {

struct Context {
    PhysAddr vmsa;            // zero: none
    bool svsm_owned = false;  // a page of SVSM memory (the loader's start), else the guest's own (CREATE_VCPU)
    PhysAddr caa;
    uint64_t start = 0;     // counts starts on this CPU
    bool ready = false;     // reserved while the platform starts it, then ready to run
    bool in_run = false;    // this CPU's run_vcpu uses the page (to write it, or runs it)
    bool stopping = false;  // a stop (DELETE_VCPU, a CREATE_VCPU replacing it) is under way: no run begins
};

// A start in progress on that CPU (reserve_vcpu), in `start`'s top bit.
constexpr uint64_t kReservedBit = uint64_t{1} << 63;

SpinLock contexts_lock;
Context contexts[arch::kMaxCpus];

// Runs f over the VMSA page's bytes: SVSM memory through the direct map, a
// guest page through this CPU's window (interrupts off while it is mapped).
template <typename F>
Result<void> with_vmsa(const Context& c, F&& f) {
    if (c.svsm_owned) return f(std::span<uint8_t>(mm::phys_to_virt<uint8_t>(c.vmsa), kPageSize));
    const platform::GuestWindow w(c.vmsa);
    WARDEN_TRY_VOID(w.status());
    return f(std::span<uint8_t>(w.bytes(), kPageSize));
}

}  // namespace

bool kernel_runs_guest() { return !platform::current().tasks_play_the_guest() && !regions().empty(); }

namespace {

// The CPU index of an online CPU with that APIC ID, or kMaxCpus.
unsigned cpu_of(uint32_t apic_id) {
    for (unsigned i = 0; i < arch::kMaxCpus; ++i) {
        if (arch::cpu(i).online.load() && arch::cpu(i).apic_id == apic_id) return i;
    }
    return arch::kMaxCpus;
}

}  // namespace

Result<void> reserve_vcpu(uint32_t apic_id) {
    const unsigned i = cpu_of(apic_id);
    if (i == arch::kMaxCpus) return Fail(Error::kNotFound);
    LockGuard guard(contexts_lock);
    Context& c = contexts[i];
    if (c.vmsa.raw() != 0 || c.start & kReservedBit) return Fail(Error::kBusy);  // one guest vCPU per CPU
    c.start |= kReservedBit;
    return {};
}

void release_vcpu(uint32_t apic_id) {
    const unsigned i = cpu_of(apic_id);
    if (i == arch::kMaxCpus) return;
    LockGuard guard(contexts_lock);
    if (contexts[i].vmsa.raw() == 0) contexts[i].start &= ~kReservedBit;
}

Result<void> attach_vcpu(uint32_t apic_id, PhysAddr vmsa, bool svsm_owned, PhysAddr caa) {
    const unsigned i = cpu_of(apic_id);
    if (i == arch::kMaxCpus) return Fail(Error::kNotFound);
    LockGuard guard(contexts_lock);
    Context& c = contexts[i];
    if (c.vmsa.raw() != 0) return Fail(Error::kBusy);
    const uint64_t start = (c.start & ~kReservedBit) + 1;
    c = Context{.vmsa = vmsa, .svsm_owned = svsm_owned, .caa = caa, .start = start, .ready = true};
    return {};
}

bool cpu_runs_vcpu(uint32_t apic_id) {
    const unsigned i = cpu_of(apic_id);
    if (i == arch::kMaxCpus) return false;
    LockGuard guard(contexts_lock);
    return contexts[i].vmsa.raw() != 0;
}

namespace {

// Stops the vCPU CPU i runs (its `stopping` set by the caller, under the
// lock): the platform first (SNP: AP destruction, answered once no CPU runs
// it), then that CPU's loop lets go of the page: its run_vcpu comes back
// from the run, or is refused it, and leaves the page.
Result<void> stop_and_let_go(unsigned i, PhysAddr vmsa, const char* why) {
    const uint32_t apic_id = arch::cpu(i).apic_id;
    if (auto stopped = platform::current().stop_guest_vcpu(apic_id, kGuestVmpl); !stopped) {
        LockGuard guard(contexts_lock);
        contexts[i].stopping = false;
        return Fail(stopped.error());
    }
    for (;;) {
        {
            LockGuard guard(contexts_lock);
            Context& c = contexts[i];
            if (!c.in_run) {
                c = Context{.start = c.start};  // no vCPU on that CPU; the next start counts on
                break;
            }
        }
        arch::pause();
    }
    log::info("guest: vCPU on CPU {} (APIC ID {}) stopped and its VMSA {:#x} let go ({})", i, apic_id, vmsa.raw(), why);
    return {};
}

// The CPU whose vCPU from a guest page `matches` (index, context): its stop
// is marked, then made (stop_and_let_go). false where none matches.
template <typename Match>
Result<bool> detach_if(Match&& matches, const char* why) {
    if (!kernel_runs_guest()) return false;
    unsigned i = 0;
    PhysAddr vmsa;
    {
        LockGuard guard(contexts_lock);
        while (i < arch::kMaxCpus &&
               (contexts[i].vmsa.raw() == 0 || contexts[i].svsm_owned || !matches(i, contexts[i])))
            ++i;
        if (i == arch::kMaxCpus) return false;
        if (contexts[i].stopping) return Fail(Error::kBusy);  // another stop of it is under way
        contexts[i].stopping = true;
        vmsa = contexts[i].vmsa;
    }
    WARDEN_TRY_VOID(stop_and_let_go(i, vmsa, why));
    return true;
}

}  // namespace

Result<bool> detach_vcpu(PhysAddr vmsa) {
    return detach_if([&](unsigned, const Context& c) { return c.vmsa == vmsa; }, "DELETE_VCPU");
}

Result<bool> detach_guest_created(uint32_t apic_id) {
    const unsigned cpu = cpu_of(apic_id);
    if (cpu == arch::kMaxCpus) return false;
    return detach_if([&](unsigned i, const Context&) { return i == cpu; },
                     "CREATE_VCPU of another VMSA for its APIC ID");
}

namespace {

// Ends this CPU's use of its context's page (run_vcpu, every way out).
struct InRun {
    ~InRun() {
        LockGuard guard(contexts_lock);
        contexts[arch::this_cpu().index].in_run = false;
    }
};

}  // namespace

Result<GuestExit> run_vcpu(const svsm::CallRegs* results, uint64_t results_start) {
    if (!kernel_runs_guest()) return Fail(Error::kUnsupported);
    Context c;
    {
        LockGuard guard(contexts_lock);
        Context& mine = contexts[arch::this_cpu().index];  // only this CPU's loop runs it
        if (mine.vmsa.raw() == 0 || !mine.ready || mine.stopping) return Fail(Error::kNotFound);
        mine.in_run = true;
        c = mine;
    }
    const InRun in_run;
    WARDEN_TRY_VOID(with_vmsa(c, [&](std::span<uint8_t> page) -> Result<void> {
        // Results answer a call of this start only: after a CREATE_VCPU
        // replaced the caller's own vCPU, its answer is not the new one's.
        if (results && results_start == c.start) {
            if (auto stored = svsm::store_results(page, *results); !stored) return stored;
        }
        return svsm::set_runnable(page, true);
    }));
    const auto ran = platform::current().run_vmpl(kGuestVmpl);
    uint8_t copy[svsm::kVmsaCallBytes];
    WARDEN_TRY_VOID(with_vmsa(c, [&](std::span<uint8_t> page) -> Result<void> {
        if (auto held = svsm::set_runnable(page, false); !held) return held;
        std::memcpy(copy, page.data(), sizeof copy);  // copied, then decoded: the guest wrote these registers
        return {};
    }));
    // Refused: the platform has no context for it (AP destruction by the
    // guest, which asks DELETE_VCPU next): as a CPU with no vCPU, it waits.
    if (!ran) return Fail(ran.error() == Error::kDenied ? Error::kNotFound : ran.error());
    WARDEN_TRY(exit, svsm::decode_exit(copy));
    return GuestExit{.call = exit.regs, .exit_code = exit.exit_code, .caa = c.caa, .start = c.start};
}

}  // namespace warden::guest
