#include "warden/ipc/system.hpp"

namespace warden::ipc {

Result<void> System::add_task(TaskSlot t, uint32_t id) {
    if (t >= kMaxTasks || tasks_[t].live) return Fail(Error::kOutOfRange);
    tasks_[t] = TaskState{};
    tasks_[t].live = true;
    tasks_[t].id = id;
    return {};
}

Result<void> System::add_queue(size_t q) {
    if (q >= kMaxQueues) return Fail(Error::kOutOfRange);
    queues_[q].exists = true;
    return {};
}

Result<void> System::grant(TaskSlot t, size_t h, size_t q, uint8_t rights) {
    if (!live(t) || h >= abi::kMaxHandles || q >= kMaxQueues) return Fail(Error::kOutOfRange);
    if (rights == 0 || (rights & ~(kRightSend | kRightReceive))) return Fail(Error::kInvalidArgument);
    Handle& handle = tasks_[t].handles[h];
    if (handle.queue >= 0) return Fail(Error::kAlreadyMapped);
    QueueState& queue = queues_[q];
    if ((rights & kRightReceive) && live(queue.server)) return Fail(Error::kAlreadyMapped);
    queue.exists = true;
    if (rights & kRightReceive) {
        queue.server = t;
        queue.server_ended = false;
        queue.receiver_waiting = false;
    }
    handle = Handle{.queue = static_cast<int16_t>(q), .rights = rights};
    return {};
}

void System::set_restartable(size_t q, bool restartable) {
    if (q < kMaxQueues) queues_[q].restartable = restartable;
}

Result<size_t> System::queue_of(TaskSlot t, size_t h, uint8_t right) const {
    if (!live(t) || h >= abi::kMaxHandles) return Fail(Error::kBadHandle);
    const Handle& handle = tasks_[t].handles[h];
    if (handle.queue < 0 || !(handle.rights & right)) return Fail(Error::kBadHandle);
    return static_cast<size_t>(handle.queue);
}

size_t System::charge_of(TaskSlot from, size_t q) const {
    const QueueState& queue = queues_[q];
    size_t n = 0;
    for (size_t i = 0; i < queue.count; ++i) n += queue.ring[(queue.head + i) % kQueueSlots].from == from;
    return n;
}

Result<TaskSlot> System::enqueue(size_t q, TaskSlot from, const abi::Message& m, bool is_call, uint32_t call_number) {
    QueueState& queue = queues_[q];
    if (queue.server_ended && !queue.restartable) return Fail(Error::kPeerGone);
    if (queue.count == kQueueSlots || charge_of(from, q) == kSenderSlots) return Fail(Error::kBusy);
    Entry& e = queue.ring[(queue.head + queue.count) % kQueueSlots];
    e = Entry{.message = m,
              .from = from,
              .from_id = from == kKernel ? 0 : tasks_[from].id,
              .is_call = is_call,
              .call_number = call_number};
    e.message.sender = from == kKernel ? 0 : tasks_[from].id;
    e.message.reply = 0;
    ++queue.count;
    if (!queue.receiver_waiting) return kNobody;
    queue.receiver_waiting = false;
    return queue.server;
}

Result<TaskSlot> System::send(TaskSlot t, size_t h, const abi::Message& m) {
    WARDEN_TRY(q, queue_of(t, h, kRightSend));
    return enqueue(q, t, m, false, 0);
}

Result<TaskSlot> System::call(TaskSlot t, size_t h, const abi::Message& m) {
    WARDEN_TRY(q, queue_of(t, h, kRightSend));
    TaskState& caller = tasks_[t];
    if (caller.waiting) return Fail(Error::kBusy);
    WARDEN_TRY(server, enqueue(q, t, m, true, caller.call_number + 1));
    ++caller.call_number;
    caller.waiting = true;
    caller.answered = false;
    return server;
}

Result<TaskSlot> System::kernel_send(size_t q, const abi::Message& m) {
    if (q >= kMaxQueues || !queues_[q].exists) return Fail(Error::kNotFound);
    return enqueue(q, kKernel, m, false, 0);
}

// Whether that task (slot and id: a restart reuses the slot) still waits
// for the answer to that call.
bool System::awaits(TaskSlot caller, uint32_t id, uint32_t call) const {
    if (!live(caller)) return false;
    const TaskState& c = tasks_[caller];
    return c.id == id && c.waiting && !c.answered && c.call_number == call;
}

bool System::call_alive(const Entry& e) const { return e.is_call && awaits(e.from, e.from_id, e.call_number); }

void System::pop(QueueState& q) {
    q.ring[q.head] = Entry{};
    q.head = (q.head + 1) % kQueueSlots;
    --q.count;
}

Result<abi::Message> System::receive(TaskSlot t, size_t h) {
    WARDEN_TRY(q, queue_of(t, h, kRightReceive));
    QueueState& queue = queues_[q];
    // The right is one live task's: after a restart the new server's.
    if (queue.server != t) return Fail(Error::kBadHandle);
    while (queue.count > 0) {
        Entry& e = queue.ring[queue.head];
        if (!e.is_call) {
            const abi::Message m = e.message;
            pop(queue);
            return m;
        }
        if (!call_alive(e)) {  // its caller gave up or ended: nobody to answer
            pop(queue);
            continue;
        }
        TaskState& server = tasks_[t];
        size_t slot = 0;
        while (slot < kReplyRights && server.rights[slot].held) ++slot;
        if (slot == kReplyRights) return Fail(Error::kBusy);  // answer first
        ReplyRight& right = server.rights[slot];
        right.held = true;
        right.caller = e.from;
        right.caller_id = e.from_id;
        right.caller_call = e.call_number;
        abi::Message m = e.message;
        m.reply = reply_token(slot, right.generation);
        pop(queue);
        return m;
    }
    queue.receiver_waiting = true;
    return Fail(Error::kNotFound);
}

void System::answer(TaskSlot caller, Error e, const abi::Message* m) {
    TaskState& c = tasks_[caller];
    c.answered = true;
    c.answer_error = e;
    c.answer = m ? *m : abi::Message{};
}

// The right of t's that token names, if t holds it.
const System::ReplyRight* System::held_right(TaskSlot t, uint32_t token) const {
    if (!live(t)) return nullptr;
    const size_t slot = (token & 0xff) - 1;  // token 0: slot wraps past the table
    if ((token & 0xff) == 0 || slot >= kReplyRights) return nullptr;
    const ReplyRight& right = tasks_[t].rights[slot];
    if (!right.held || (right.generation & 0xffffffu) != token >> 8) return nullptr;
    return &right;
}

Result<TaskSlot> System::reply_target(TaskSlot t, uint32_t token) const {
    const ReplyRight* right = held_right(t, token);
    if (right == nullptr) return Fail(Error::kBadHandle);
    if (!awaits(right->caller, right->caller_id, right->caller_call)) return Fail(Error::kPeerGone);
    return right->caller;
}

Result<TaskSlot> System::reply(TaskSlot t, uint32_t token, const abi::Message& m) {
    const ReplyRight* held = held_right(t, token);
    if (held == nullptr) return Fail(Error::kBadHandle);
    ReplyRight& right = tasks_[t].rights[(token & 0xff) - 1];
    const TaskSlot caller = right.caller;
    const bool awaited = awaits(caller, right.caller_id, right.caller_call);
    right = ReplyRight{.generation = right.generation + 1};
    if (right.generation >> 24) right.generation = 1;  // tokens hold 24 bits of it
    if (!awaited) return Fail(Error::kPeerGone);
    abi::Message out = m;
    out.sender = tasks_[t].id;
    out.reply = 0;
    answer(caller, Error{}, &out);
    return caller;
}

Result<abi::Message> System::take_reply(TaskSlot t) {
    if (!live(t) || !tasks_[t].waiting) return Fail(Error::kNotFound);
    TaskState& c = tasks_[t];
    if (!c.answered) return Fail(Error::kNotFound);
    c.waiting = false;
    c.answered = false;
    if (c.answer_error != Error{}) return Fail(c.answer_error);
    return c.answer;
}

bool System::waiting(TaskSlot t) const { return live(t) && tasks_[t].waiting; }

void System::give_up(TaskSlot t) {
    if (!live(t)) return;
    tasks_[t].waiting = false;
    tasks_[t].answered = false;
}

Wakes System::end_task(TaskSlot t) {
    Wakes wakes;
    if (!live(t)) return wakes;
    TaskState& ended = tasks_[t];
    ended.waiting = false;  // its own call: the entry or right left behind is stale now
    // As a server: every call it held is answered "gone".
    for (ReplyRight& right : ended.rights) {
        if (!right.held) continue;
        if (awaits(right.caller, right.caller_id, right.caller_call)) {
            answer(right.caller, Error::kPeerGone, nullptr);
            wakes.add(right.caller);
        }
        right = ReplyRight{};
    }
    for (size_t q = 0; q < kMaxQueues; ++q) {
        QueueState& queue = queues_[q];
        if (!queue.exists) continue;
        const bool served = queue.server == t;
        if (served) {
            queue.server = kNobody;
            queue.receiver_waiting = false;
            queue.server_ended = true;
        }
        // Its messages (as a sender) go; with the server, a queue that is not
        // restartable gives up every message, and answers its live calls.
        const bool drop_all = served && !queue.restartable;
        Entry kept[kQueueSlots];
        size_t n = 0;
        for (size_t i = 0; i < queue.count; ++i) {
            const Entry& e = queue.ring[(queue.head + i) % kQueueSlots];
            if (e.from == t) continue;
            if (!drop_all) {
                kept[n++] = e;
            } else if (call_alive(e)) {
                answer(e.from, Error::kPeerGone, nullptr);
                wakes.add(e.from);
            }
        }
        for (size_t i = 0; i < kQueueSlots; ++i) queue.ring[i] = i < n ? kept[i] : Entry{};
        queue.head = 0;
        queue.count = n;
    }
    ended = TaskState{};
    return wakes;
}

size_t System::queued(size_t q) const { return q < kMaxQueues ? queues_[q].count : 0; }

size_t System::charged(TaskSlot t, size_t q) const { return q < kMaxQueues ? charge_of(t, q) : 0; }

size_t System::reply_rights_held(TaskSlot t) const {
    if (t >= kMaxTasks) return 0;
    size_t n = 0;
    for (const ReplyRight& r : tasks_[t].rights) n += r.held;
    return n;
}

TaskSlot System::server_of(size_t q) const { return q < kMaxQueues ? queues_[q].server : kNobody; }

const char* System::broken_invariant() const {
    for (size_t q = 0; q < kMaxQueues; ++q) {
        const QueueState& queue = queues_[q];
        if (queue.count > kQueueSlots || queue.head >= kQueueSlots) return "a queue's ring indices are out of range";
        if (queue.server != kNobody && !live(queue.server)) return "a queue's server is not a live task";
        for (size_t i = 0; i < queue.count; ++i) {
            const Entry& e = queue.ring[(queue.head + i) % kQueueSlots];
            if (e.from != kKernel && !live(e.from)) return "a queued message of an ended task";
            if (charge_of(e.from, q) > kSenderSlots) return "a sender holds more than its share of a queue";
            if (e.message.reply != 0) return "a queued message carries a reply token";
        }
    }
    for (TaskSlot t = 0; t < kMaxTasks; ++t) {
        const TaskState& s = tasks_[t];
        if (!s.live) {
            if (s.waiting || reply_rights_held(t) != 0) return "an ended task still waits or holds reply rights";
            continue;
        }
        if (s.answered && !s.waiting) return "an answer for a task that does not wait";
        for (const Handle& h : s.handles) {
            if (h.queue >= static_cast<int>(kMaxQueues)) return "a handle names no queue";
            if (h.queue >= 0 && (h.rights & kRightReceive) && queues_[h.queue].server != t &&
                live(queues_[h.queue].server))
                return "two live tasks hold one queue's receive right";
        }
    }
    return nullptr;
}

}  // namespace warden::ipc
