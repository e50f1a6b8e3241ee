// The IPC model behind one lock, and the blocking it asks for.
#include "task/queue.hpp"

#include <cstring>

#include "task/sched.hpp"
#include "warden/ipc/system.hpp"
#include "warden/spinlock.hpp"

namespace warden::task {
namespace {

SpinLock lock;
ipc::System the_system;
char names[ipc::kMaxQueues][abi::kNameBytes];
size_t queue_count = 0;

ipc::TaskSlot slot(const Task& t) { return static_cast<ipc::TaskSlot>(t.id - 1); }  // ids count from 1

// Makes ready a task the model named (outside the lock).
void wake(ipc::TaskSlot s) {
    if (s >= ipc::kMaxTasks) return;  // kNobody, kKernel
    if (Task* t = task_by_id(static_cast<uint32_t>(s) + 1)) sched::wake(*t);
}

Result<void> woken(Result<ipc::TaskSlot> r) {
    if (!r) return Fail(r.error());
    wake(*r);
    return {};
}

uint64_t block_ticks(uint64_t timeout_ticks) { return timeout_ticks == abi::kForever ? 0 : timeout_ticks; }

// f on the model, under the lock.
template <typename F>
auto locked(F&& f) {
    LockGuard guard(lock);
    return f(the_system);
}

}  // namespace

Result<size_t> find_or_create_queue(const char* name) {
    char wanted[abi::kNameBytes] = {};  // as stored: at most 15 bytes
    for (size_t i = 0; i + 1 < abi::kNameBytes && name[i] != '\0'; ++i) wanted[i] = name[i];
    LockGuard guard(lock);
    for (size_t i = 0; i < queue_count; ++i) {
        if (std::strcmp(names[i], wanted) == 0) return i;
    }
    if (queue_count == ipc::kMaxQueues) return Fail(Error::kNoMemory);
    WARDEN_TRY_VOID(the_system.add_queue(queue_count));
    std::memcpy(names[queue_count], wanted, sizeof wanted);
    return queue_count++;
}

Result<void> ipc_add_task(Task& t) {
    return locked([&](ipc::System& s) { return s.add_task(slot(t), t.id); });
}

Result<void> ipc_grant(Task& t, size_t h, size_t q, uint8_t rights) {
    return locked([&](ipc::System& s) { return s.grant(slot(t), h, q, rights); });
}

void ipc_set_restartable(size_t q) {
    LockGuard guard(lock);
    the_system.set_restartable(q, true);
}

Result<void> ipc_send(Task& t, uint64_t h, const abi::Message& m) {
    return woken(locked([&](ipc::System& s) { return s.send(slot(t), h, m); }));
}

Result<abi::Message> ipc_receive(Task& t, uint64_t h, uint64_t timeout_ticks) {
    for (;;) {
        // kNotFound: empty, and t is noted as waiting (a send wakes it).
        auto r = locked([&](ipc::System& s) { return s.receive(slot(t), h); });
        if (r || r.error() != Error::kNotFound) return r;
        if (timeout_ticks == 0) return Fail(Error::kTimedOut);
        if (auto b = sched::block(block_ticks(timeout_ticks)); !b) {
            auto last = locked([&](ipc::System& s) { return s.receive(slot(t), h); });
            if (last || last.error() != Error::kNotFound) return last;
            return Fail(Error::kTimedOut);
        }
    }
}

Result<abi::Message> ipc_call(Task& t, uint64_t h, const abi::Message& m, uint64_t timeout_ticks, uint64_t lend,
                              uint64_t lend_size) {
    WARDEN_TRY_VOID(woken(locked([&](ipc::System& s) {
        // Before the call exists: no server can see the lend of an earlier one.
        t.lend_base = lend;
        t.lend_size = lend_size;
        return s.call(slot(t), h, m);
    })));
    for (;;) {
        auto r = locked([&](ipc::System& s) { return s.take_reply(slot(t)); });
        if (r || r.error() != Error::kNotFound) return r;  // the reply, or kPeerGone
        if (auto b = sched::block(block_ticks(timeout_ticks)); !b) {
            return locked([&](ipc::System& s) -> Result<abi::Message> {
                auto last = s.take_reply(slot(t));
                if (last || last.error() != Error::kNotFound) return last;
                s.give_up(slot(t));  // a reply after this reaches nobody
                return Fail(Error::kTimedOut);
            });
        }
    }
}

Result<void> ipc_reply(Task& t, uint64_t token, const abi::Message& m) {
    if (token > 0xffffffff) return Fail(Error::kBadHandle);
    return woken(locked([&](ipc::System& s) { return s.reply(slot(t), static_cast<uint32_t>(token), m); }));
}

Result<uint64_t> ipc_lent(Task& t, uint64_t token, uint64_t offset, uint64_t va, uint64_t len, bool write) {
    if (token > 0xffffffff) return Fail(Error::kBadHandle);
    // Under the lock the lender stays blocked in its call: its memory and
    // its tables cannot change while this copies.
    LockGuard guard(lock);
    WARDEN_TRY(lender_slot, the_system.reply_target(slot(t), static_cast<uint32_t>(token)));
    Task* lender = task_by_id(static_cast<uint32_t>(lender_slot) + 1);
    if (lender == nullptr) return Fail(Error::kPeerGone);
    const uint64_t size = lender->lend_size;
    if (offset > size || len > size - offset) return Fail(Error::kOutOfRange);
    const uint64_t at = lender->lend_base + offset;
    if (write) {
        WARDEN_TRY_VOID(copy_between_tasks(t, va, *lender, at, len));
    } else {
        WARDEN_TRY_VOID(copy_between_tasks(*lender, at, t, va, len));
    }
    return size;
}

Result<void> kernel_send(const char* queue, const abi::Message& m) {
    WARDEN_TRY(q, find_or_create_queue(queue));
    return woken(locked([&](ipc::System& s) { return s.kernel_send(q, m); }));
}

void ipc_task_ended(Task& t) {
    const ipc::Wakes w = locked([&](ipc::System& s) { return s.end_task(slot(t)); });
    for (size_t i = 0; i < w.count; ++i) wake(w.list[i]);
}

size_t queued(const char* queue) {
    auto q = find_or_create_queue(queue);
    if (!q) return 0;
    return locked([&](ipc::System& s) { return s.queued(*q); });
}

size_t reply_rights_held(const Task& t) {
    return locked([&](ipc::System& s) { return s.reply_rights_held(slot(t)); });
}

const char* ipc_broken_invariant() {
    return locked([&](ipc::System& s) { return s.broken_invariant(); });
}

}  // namespace warden::task
