// Queue rings and call/reply matching.
#include "task/queue.hpp"

#include <cstring>
#include <new>

#include "task/sched.hpp"

namespace warden::task {
namespace {

constexpr size_t kMaxQueues = 32;
alignas(Queue) unsigned char queue_storage[kMaxQueues][sizeof(Queue)];
Queue* queues[kMaxQueues];
size_t queue_count = 0;
SpinLock queues_lock;

// Outstanding calls: token -> caller. Tokens are never 0.
constexpr size_t kMaxCalls = 64;
struct PendingCall {
    uint32_t token = 0;
    Task* caller = nullptr;
};
PendingCall calls[kMaxCalls];
uint32_t next_token = 1;
SpinLock calls_lock;

}  // namespace

Queue::Queue(const char* name) {
    for (size_t i = 0; i + 1 < sizeof name_ && name[i] != '\0'; ++i) name_[i] = name[i];
}

Result<void> Queue::send(const abi::Message& m) {
    Task* to_wake = nullptr;
    {
        LockGuard guard(lock_);
        if (count_ == kCapacity) return Fail(Error::kBusy);
        ring_[(head_ + count_) % kCapacity] = m;
        ++count_;
        to_wake = waiter_;
        waiter_ = nullptr;
    }
    if (to_wake) sched::wake(*to_wake);
    return {};
}

Result<abi::Message> Queue::receive(uint64_t timeout_ticks) {
    for (;;) {
        {
            LockGuard guard(lock_);
            if (count_ > 0) {
                const abi::Message m = ring_[head_];
                head_ = (head_ + 1) % kCapacity;
                --count_;
                return m;
            }
            if (timeout_ticks == 0) return Fail(Error::kTimedOut);
            if (waiter_ != nullptr && waiter_ != &sched::current()) return Fail(Error::kBusy);
            waiter_ = &sched::current();
        }
        const uint64_t ticks = timeout_ticks == abi::kForever ? 0 : timeout_ticks;
        if (auto r = sched::block(ticks); !r) {
            LockGuard guard(lock_);
            if (waiter_ == &sched::current()) waiter_ = nullptr;
            if (count_ == 0) return Fail(r.error());
        }
    }
}

Queue* find_or_create_queue(const char* name) {
    LockGuard guard(queues_lock);
    for (size_t i = 0; i < queue_count; ++i) {
        if (std::strcmp(queues[i]->name(), name) == 0) return queues[i];
    }
    if (queue_count == kMaxQueues) return nullptr;
    Queue* q = new (queue_storage[queue_count]) Queue(name);
    queues[queue_count++] = q;
    return q;
}

uint32_t new_reply_token(Task& caller) {
    LockGuard guard(calls_lock);
    for (PendingCall& c : calls) {
        if (c.token != 0) continue;
        c.token = next_token++;
        if (next_token == 0) next_token = 1;
        c.caller = &caller;
        return c.token;
    }
    return 0;
}

Result<void> deliver_reply(uint32_t token, const abi::Message& m) {
    Task* caller = nullptr;
    {
        LockGuard guard(calls_lock);
        for (PendingCall& c : calls) {
            if (token == 0 || c.token != token) continue;
            caller = c.caller;
            c = PendingCall{};
            break;
        }
    }
    if (caller == nullptr || caller->waiting_reply != token) return Fail(Error::kBadHandle);
    caller->inbox = m;
    caller->waiting_reply = 0;
    sched::wake(*caller);
    return {};
}

}  // namespace warden::task
