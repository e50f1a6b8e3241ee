#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "warden/spinlock.hpp"

using namespace warden;

TEST_CASE("spinlock: try_lock fails while held and succeeds after unlock") {
    SpinLock lock;
    CHECK_FALSE(lock.is_locked());
    {
        LockGuard guard(lock);
        CHECK(lock.is_locked());
        CHECK_FALSE(lock.try_lock());
    }
    CHECK_FALSE(lock.is_locked());
    CHECK(lock.try_lock());
    lock.unlock();
}

TEST_CASE("spinlock: the guard serialises concurrent increments") {
    SpinLock lock;
    uint64_t counter = 0;  // deliberately not atomic: the lock is what protects it
    constexpr int kThreads = 4, kIterations = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kIterations; ++i) {
                LockGuard guard(lock);
                uint64_t v = counter;
                counter = v + 1;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(counter == uint64_t{kThreads} * kIterations);
}
