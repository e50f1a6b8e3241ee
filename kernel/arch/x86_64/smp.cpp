// Cross-CPU calls and TLB shootdown. Only online CPUs are ever sent an
// IPI, and each answers in its own per-CPU slot, so a CPU still starting
// cannot confuse a count. (Starting the APs is kernel/smp's.)
#include "arch/x86_64/smp.hpp"

#include <atomic>

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/idt.hpp"
#include "arch/x86_64/percpu.hpp"
#include "arch/x86_64/tsc.hpp"
#include "panic.hpp"
#include "warden/spinlock.hpp"

namespace warden::arch::smp {
namespace {

struct Mailbox {
    std::atomic<void (*)(void*)> fn{nullptr};
    void* arg = nullptr;
    std::atomic<bool> done{false};
};

struct Shootdown {
    std::atomic<uint64_t> va{0};
    std::atomic<bool> pending[kMaxCpus] = {};
};

Mailbox mailboxes[kMaxCpus];
Shootdown shootdown_request;
SpinLock call_lock, shootdown_lock;
constexpr uint64_t kAnswerTimeoutUs = 2'000'000;

void on_ping(InterruptFrame&) {
    Mailbox& m = mailboxes[this_cpu().index];
    if (auto fn = m.fn.exchange(nullptr)) {
        fn(m.arg);
        m.done.store(true, std::memory_order_release);
    }
}

void answer_shootdown() {
    const unsigned me = this_cpu().index;
    if (shootdown_request.pending[me].load(std::memory_order_acquire)) {
        invlpg(shootdown_request.va.load(std::memory_order_relaxed));
        shootdown_request.pending[me].store(false, std::memory_order_release);
    }
}

void on_shootdown(InterruptFrame&) { answer_shootdown(); }

}  // namespace

void init_ipis() {
    set_handler(apic::kPingVector, on_ping);
    set_handler(apic::kShootdownVector, on_shootdown);
}

Result<void> call_on(unsigned index, void (*fn)(void*), void* arg) {
    if (index >= kMaxCpus || !cpu(index).online.load(std::memory_order_acquire)) return Fail(Error::kBusy);
    LockGuard guard(call_lock);
    Mailbox& m = mailboxes[index];
    m.arg = arg;
    m.done.store(false, std::memory_order_relaxed);
    m.fn.store(fn, std::memory_order_release);
    apic::send_fixed(cpu(index).apic_id, apic::kPingVector);
    if (!wait_until(m.done, true, kAnswerTimeoutUs)) {
        m.fn.store(nullptr);
        return Fail(Error::kOutOfRange);
    }
    return {};
}

void shootdown(VirtAddr va) { shootdown_where(va, nullptr); }

void shootdown_where(VirtAddr va, bool (*needs)(unsigned cpu)) {
    if (online_cpus() <= 1) return;
    // Spin with a try-lock, answering requests aimed at us meanwhile: two
    // CPUs shooting at each other with interrupts off must not deadlock.
    while (!shootdown_lock.try_lock()) {
        answer_shootdown();
        pause();
    }
    const unsigned me = this_cpu().index;
    shootdown_request.va.store(va.raw(), std::memory_order_relaxed);
    for (unsigned i = 0; i < kMaxCpus; ++i) {
        if (i == me || !cpu(i).online.load(std::memory_order_acquire)) continue;
        if (needs && !needs(i)) continue;
        shootdown_request.pending[i].store(true, std::memory_order_release);
        apic::send_fixed(cpu(i).apic_id, apic::kShootdownVector);
    }
    for (unsigned i = 0; i < kMaxCpus; ++i) {
        if (i == me || !shootdown_request.pending[i].load(std::memory_order_acquire)) continue;
        if (!wait_until(shootdown_request.pending[i], false, kAnswerTimeoutUs)) {
            panic("TLB shootdown of {}: cpu {} (running {}) did not answer", va, i, cpu(i).task);
        }
    }
    shootdown_lock.unlock();
}

ShootdownSafeGuard::ShootdownSafeGuard(SpinLock& lock) : lock_(lock) {
    while (!lock_.try_lock()) {
        answer_shootdown();
        pause();
    }
}

}  // namespace warden::arch::smp
