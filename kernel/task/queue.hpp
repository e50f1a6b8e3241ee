// Message queues: bounded rings of fixed-size messages (docs/ipc.md). A full
// queue refuses a send with kBusy (the sender decides: retry, yield or drop);
// receivers block, with a timeout, until a message arrives.
#pragma once

#include "task/task.hpp"
#include "warden/spinlock.hpp"

namespace warden::task {

class Queue {
public:
    static constexpr size_t kCapacity = 16;

    explicit Queue(const char* name);  // the name is copied (at most 15 bytes)
    const char* name() const { return name_; }

    // Copies m in (sender and reply filled by the kernel) and wakes a receiver.
    Result<void> send(const abi::Message& m);
    // Takes the oldest message, blocking the current task up to timeout_ticks
    // (0: do not wait; abi::kForever: no limit).
    Result<abi::Message> receive(uint64_t timeout_ticks);
    size_t size() const { return count_; }

private:
    char name_[abi::kNameBytes] = {};
    SpinLock lock_;
    abi::Message ring_[kCapacity];
    size_t head_ = 0, count_ = 0;
    Task* waiter_ = nullptr;  // one receiver per queue: its server
};

// Named queues created from the manifests.
Queue* find_or_create_queue(const char* name);

// Calls: a token names the caller's outstanding call; reply() delivers to it.
uint32_t new_reply_token(Task& caller);
Result<void> deliver_reply(uint32_t token, const abi::Message& m);

}  // namespace warden::task
