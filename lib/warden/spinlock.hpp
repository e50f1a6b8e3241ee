// A test-and-test-and-set spinlock and the scoped guard that is the only way
// code in Warden takes it. Interrupt masking is the kernel's business, layered
// on top (kernel/arch/x86_64/irq_lock.hpp), so this stays host-testable.
#pragma once

#include <atomic>

namespace warden {

class SpinLock {
public:
    constexpr SpinLock() = default;
    SpinLock(const SpinLock&) = delete;
    SpinLock& operator=(const SpinLock&) = delete;

    void lock() {
        for (;;) {
            if (!locked_.exchange(true, std::memory_order_acquire)) return;
            while (locked_.load(std::memory_order_relaxed)) __builtin_ia32_pause();
        }
    }
    [[nodiscard]] bool try_lock() { return !locked_.exchange(true, std::memory_order_acquire); }
    void unlock() { locked_.store(false, std::memory_order_release); }
    bool is_locked() const { return locked_.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> locked_{false};
};

template <typename Lock>
class [[nodiscard]] LockGuard {
public:
    explicit LockGuard(Lock& lock) : lock_(lock) { lock_.lock(); }
    ~LockGuard() { lock_.unlock(); }
    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

private:
    Lock& lock_;
};

}  // namespace warden
