// IPC between tasks with rights the kernel holds (issue 18; docs/tasks.md,
// "Rights, calls and accounting"): every queue, handle, queued message,
// waiting caller and reply right in the system, as one deterministic state
// machine. The kernel wraps it in one lock and does the blocking and waking
// it asks for (kernel/task/queue.cpp); the doctests and the fuzz target run
// the same code with no kernel at all.
//
// The model (seL4's reply objects, Zircon's handle rights, in small):
//   - Rights come from the manifests only, minted at task creation: a handle
//     names one queue with receive and/or send rights. The receive right of
//     a queue belongs to one live task, its server; nobody else can take a
//     message off it. A task cannot pass a right on.
//   - A call is a send that makes the caller wait. When the server takes the
//     call off the queue, the kernel gives the server, and only it, a reply
//     right: one of its kReplyRights slots, named by a token that means
//     nothing in any other task's table. Replying uses the right up, once.
//   - A caller that gives up (its timeout) or ends makes the right stale: the
//     reply then fails with kPeerGone and reaches nobody. A server that ends
//     (exit or fault) answers every caller it held or had queued with
//     kPeerGone at once; its queue refuses new messages, unless it is
//     restartable (it waits for the next server, messages kept).
//   - Accounting: each queued message is charged to its sender, at most
//     kSenderSlots per queue, so a sender that floods a queue fills only its
//     own share; a server holding kReplyRights unanswered calls takes no
//     more calls until it answers (it only delays itself); an ended task
//     holds nothing (its queued messages are taken back).
#pragma once

#include <cstddef>
#include <cstdint>

#include "warden/abi/syscall.hpp"
#include "warden/result.hpp"

namespace warden::ipc {

inline constexpr size_t kMaxTasks = 64;
inline constexpr size_t kMaxQueues = 32;
inline constexpr size_t kQueueSlots = 32;  // messages one queue holds
inline constexpr size_t kSenderSlots = 4;  // of them, at most this many from one sender
inline constexpr size_t kReplyRights = 8;  // calls one task may hold unanswered
inline constexpr uint8_t kRightSend = 1;   // send and call
inline constexpr uint8_t kRightReceive = 2;

using TaskSlot = uint16_t;                   // the kernel's task table index
inline constexpr TaskSlot kKernel = 0xfffe;  // the kernel's own sends (the console's doorbell)
inline constexpr TaskSlot kNobody = 0xffff;

// The callers an ending task answered kPeerGone (end_task): to make ready.
struct Wakes {
    TaskSlot list[kMaxTasks];
    size_t count = 0;
    void add(TaskSlot t) {
        if (t < kMaxTasks && count < kMaxTasks) list[count++] = t;
    }
};

class System {
public:
    // ---- Setup, from the manifests.
    // A live task at slot t whose messages carry `id` as their sender.
    Result<void> add_task(TaskSlot t, uint32_t id);
    // Queue q exists (a grant names it too); kOutOfRange past kMaxQueues.
    Result<void> add_queue(size_t q);
    // Handle h of task t names queue q with `rights`. kOutOfRange for a bad
    // slot, handle or queue; kAlreadyMapped when the handle is taken or
    // another live task holds the queue's receive right.
    Result<void> grant(TaskSlot t, size_t h, size_t q, uint8_t rights);
    // A restartable queue keeps its messages for the next server when its
    // server ends; another refuses them from then on (kPeerGone).
    void set_restartable(size_t q, bool restartable);

    // ---- What tasks do; each returns the one task to wake (kNobody: none):
    // a waiting server a message arrived for, or the caller a reply reached.
    // kBadHandle without the send right on h; kBusy when t's share of the
    // queue (kSenderSlots) or the queue is full; kPeerGone when its server
    // ended and it is not restartable.
    Result<TaskSlot> send(TaskSlot t, size_t h, const abi::Message& m);
    // A send that makes t wait for its reply (take_reply); as send, and
    // kBusy while t waits for another reply.
    Result<TaskSlot> call(TaskSlot t, size_t h, const abi::Message& m);
    // The kernel's own message to queue q (no right, one share).
    Result<TaskSlot> kernel_send(size_t q, const abi::Message& m);
    // The oldest message of h's queue, with sender and, for a call, the
    // reply token of the right t now holds. kBadHandle without the receive
    // right; kNotFound when empty (t is noted as waiting: a send wakes it);
    // kBusy when the next message is a call and t's kReplyRights are held.
    // Calls whose caller gave up or ended are dropped, never received.
    Result<abi::Message> receive(TaskSlot t, size_t h);
    // Answers the call behind `token` with m, using the right up. kBadHandle
    // when t holds no such right (never held it, or used it); kPeerGone when
    // its caller gave up or ended (the right is used up all the same).
    Result<TaskSlot> reply(TaskSlot t, uint32_t token, const abi::Message& m);
    // The caller behind the right `token` names, while it still waits for
    // that call: what the kernel needs to reach the memory the caller lent
    // with it (kLentRead, kLentWrite). The right stays held. kBadHandle and
    // kPeerGone as for reply.
    Result<TaskSlot> reply_target(TaskSlot t, uint32_t token) const;
    // The caller's reply once it arrived: kNotFound while it waits, kPeerGone
    // when its server ended. Either ends t's call; so does give_up.
    Result<abi::Message> take_reply(TaskSlot t);
    bool waiting(TaskSlot t) const;
    // t's timeout: its call is given up; a late reply reaches nobody.
    void give_up(TaskSlot t);
    // t exited or faulted: everything it held goes; callers it held or had
    // queued (as a server of a queue that is not restartable) get kPeerGone.
    Wakes end_task(TaskSlot t);

    // ---- For reports, tests and the fuzz target.
    size_t queued(size_t q) const;
    size_t charged(TaskSlot t, size_t q) const;
    size_t reply_rights_held(TaskSlot t) const;
    TaskSlot server_of(size_t q) const;
    // Every count matches what it counts; a description of the first broken
    // invariant, or nullptr.
    const char* broken_invariant() const;

private:
    struct Handle {
        int16_t queue = -1;
        uint8_t rights = 0;
    };
    struct ReplyRight {
        bool held = false;
        uint32_t generation = 1;  // bumped at every use: a used token never matches again
        TaskSlot caller = kNobody;
        uint32_t caller_id = 0;    // that slot's task then: a restarted task is another
        uint32_t caller_call = 0;  // the caller's call number it answers
    };
    struct TaskState {
        bool live = false;
        uint32_t id = 0;
        Handle handles[abi::kMaxHandles];
        // As a caller: one call at a time.
        uint32_t call_number = 0;  // of its latest call
        bool waiting = false;
        bool answered = false;  // the reply (or its error) is in `answer`
        Error answer_error{};
        abi::Message answer;
        // As a server.
        ReplyRight rights[kReplyRights];
    };
    struct Entry {
        abi::Message message;
        TaskSlot from = kNobody;
        uint32_t from_id = 0;  // the sender task's id (a slot is reused by a restart)
        bool is_call = false;
        uint32_t call_number = 0;
    };
    struct QueueState {
        bool exists = false;
        TaskSlot server = kNobody;
        bool server_ended = false;
        bool restartable = false;
        bool receiver_waiting = false;
        Entry ring[kQueueSlots];
        size_t head = 0, count = 0;
    };

    bool live(TaskSlot t) const { return t < kMaxTasks && tasks_[t].live; }
    const ReplyRight* held_right(TaskSlot t, uint32_t token) const;
    Result<size_t> queue_of(TaskSlot t, size_t h, uint8_t right) const;
    Result<TaskSlot> enqueue(size_t q, TaskSlot from, const abi::Message& m, bool is_call, uint32_t call_number);
    bool call_alive(const Entry& e) const;
    bool awaits(TaskSlot caller, uint32_t id, uint32_t call) const;
    void pop(QueueState& q);
    void answer(TaskSlot caller, Error e, const abi::Message* m);
    size_t charge_of(TaskSlot from, size_t q) const;

    TaskState tasks_[kMaxTasks];
    QueueState queues_[kMaxQueues];
};

// Reply tokens: the right's slot (bits 7:0, plus one, so a token is never 0)
// and its generation (bits 31:8).
constexpr uint32_t reply_token(size_t slot, uint32_t generation) {
    return ((generation & 0xffffffu) << 8) | static_cast<uint32_t>(slot + 1);
}

}  // namespace warden::ipc
