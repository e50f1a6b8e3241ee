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
    uint64_t start = 0;  // counts starts on this CPU
    bool ready = false;  // reserved while the platform starts it, then ready to run
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

bool vcpu_attached(PhysAddr vmsa) {
    LockGuard guard(contexts_lock);
    for (const Context& c : contexts) {
        if (!c.svsm_owned && c.vmsa == vmsa) return true;
    }
    return false;
}

Result<GuestExit> run_vcpu(const svsm::CallRegs* results) {
    if (!kernel_runs_guest()) return Fail(Error::kUnsupported);
    Context c;
    {
        LockGuard guard(contexts_lock);
        c = contexts[arch::this_cpu().index];  // only this CPU's loop runs it; CREATE_VCPU only adds
    }
    if (c.vmsa.raw() == 0 || !c.ready) return Fail(Error::kNotFound);
    WARDEN_TRY_VOID(with_vmsa(c, [&](std::span<uint8_t> page) -> Result<void> {
        if (results) {
            if (auto stored = svsm::store_results(page, *results); !stored) return stored;
        }
        return svsm::set_runnable(page, true);
    }));
    WARDEN_TRY_VOID(platform::current().run_vmpl(kGuestVmpl));
    uint8_t copy[svsm::kVmsaCallBytes];
    WARDEN_TRY_VOID(with_vmsa(c, [&](std::span<uint8_t> page) -> Result<void> {
        if (auto held = svsm::set_runnable(page, false); !held) return held;
        std::memcpy(copy, page.data(), sizeof copy);  // copied, then decoded: the guest wrote these registers
        return {};
    }));
    WARDEN_TRY(call, svsm::decode_call(copy));
    return GuestExit{.call = call, .caa = c.caa, .start = c.start};
}

}  // namespace warden::guest
