// libFuzzer target: sequences of IPC operations by six tasks on three queues
// (lib/warden/ipc/system.hpp): sends, calls, receives, replies with tokens
// of their own, learned from others or made up, timeouts, exits and
// restarts, and lookups of the caller whose lent memory a token reaches.
// Invariants after every operation: the model's own (broken_invariant); a
// reply reaches a caller only from the task that received that very call,
// once, while the caller still waits for it, and a lookup names only such a
// caller and uses nothing up (this target keeps its own record of every
// right it saw handed out); a caller gets back only the answer to its
// current call; a sender never holds more than its share of a queue.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "warden/ipc/system.hpp"

using namespace warden;
using namespace warden::ipc;

namespace {

constexpr TaskSlot kTasks = 6;
constexpr size_t kQueues = 3;  // task q serves queue q; queue 2 is restartable

// What this target saw: each right handed out (receiver, token) and the call it answers.
struct Issued {
    TaskSlot holder = kNobody;
    uint32_t token = 0;
    TaskSlot caller = kNobody;
    uint64_t serial = 0;
    bool used = false;
};

struct Harness {
    std::unique_ptr<System> s = std::make_unique<System>();
    uint32_t next_id = 1;
    uint64_t serial[kTasks] = {};  // the current call of each task (0: none)
    bool waiting[kTasks] = {};
    Issued issued[512];
    size_t n_issued = 0;

    void start(TaskSlot t) {
        if (!s->add_task(t, next_id++)) __builtin_trap();
        if (t < kQueues && !s->grant(t, 0, t, kRightReceive)) __builtin_trap();
        for (size_t q = 0; q < kQueues; ++q)
            if (!s->grant(t, 1 + q, q, kRightSend)) __builtin_trap();
        serial[t] = 0;
        waiting[t] = false;
    }
    void forget_rights_of(TaskSlot t) {
        for (size_t i = 0; i < n_issued; ++i)
            if (issued[i].holder == t) issued[i].used = true;
    }
};

void check(const Harness& h) {
    if (h.s->broken_invariant() != nullptr) __builtin_trap();
    for (TaskSlot t = 0; t < kTasks; ++t) {
        for (size_t q = 0; q < kQueues; ++q)
            if (h.s->charged(t, q) > kSenderSlots) __builtin_trap();
        if (h.s->reply_rights_held(t) > kReplyRights) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Harness h;
    h.s->set_restartable(2, true);
    for (TaskSlot t = 0; t < kTasks; ++t) h.start(t);
    uint64_t serials = 0;
    for (size_t i = 0; i + 3 <= size; i += 3) {
        const uint8_t op = data[i] % 10;
        const auto t = static_cast<TaskSlot>(data[i + 1] % kTasks);
        const uint8_t arg = data[i + 2];
        abi::Message m;
        switch (op) {
        case 0: (void)h.s->send(t, arg % 5, m); break;
        case 1: {
            m.words[0] = ++serials;
            if (h.s->call(t, arg % 5, m)) {
                if (h.waiting[t]) __builtin_trap();  // the model refuses a second call
                h.serial[t] = serials;
                h.waiting[t] = true;
            }
            break;
        }
        case 2: {
            auto got = h.s->receive(t, arg % 5);
            if (!got || got->reply == 0) break;
            // A call: from a task that waits for exactly this call.
            TaskSlot caller = kNobody;
            for (TaskSlot c = 0; c < kTasks; ++c)
                if (h.waiting[c] && h.serial[c] == got->words[0]) caller = c;
            if (caller == kNobody) __builtin_trap();  // a dead or given-up call was received
            if (h.n_issued < sizeof h.issued / sizeof h.issued[0])
                h.issued[h.n_issued++] = Issued{t, got->reply, caller, got->words[0], false};
            break;
        }
        case 3: {  // reply with a token seen anywhere (often another task's), or one made up
            uint32_t token = arg;
            if (h.n_issued > 0 && (arg & 1)) token = h.issued[(arg >> 1) % h.n_issued].token;
            m.words[0] = token;
            m.words[1] = t;
            auto r = h.s->reply(t, token, m);
            if (!r) break;
            // It reached someone: t must hold that unused right, for a call still awaited.
            Issued* right = nullptr;
            for (size_t k = 0; k < h.n_issued; ++k)
                if (h.issued[k].holder == t && h.issued[k].token == token && !h.issued[k].used) right = &h.issued[k];
            if (right == nullptr) __builtin_trap();
            if (*r != right->caller) __builtin_trap();
            if (!h.waiting[right->caller] || h.serial[right->caller] != right->serial) __builtin_trap();
            right->used = true;
            break;
        }
        case 4: {
            auto r = h.s->take_reply(t);
            if (r) {
                // The answer to its current call, from the right's holder.
                bool found = false;
                for (size_t k = 0; k < h.n_issued; ++k) {
                    const Issued& x = h.issued[k];
                    if (x.used && x.caller == t && x.serial == h.serial[t] && x.token == r->words[0] &&
                        x.holder == r->words[1])
                        found = true;
                }
                if (!found || !h.waiting[t]) __builtin_trap();
                h.waiting[t] = false;
            } else if (r.error() == Error::kPeerGone) {
                if (!h.waiting[t]) __builtin_trap();
                h.waiting[t] = false;
            }
            break;
        }
        case 5:
            h.s->give_up(t);
            h.waiting[t] = false;
            break;
        case 6: {  // exit or fault, then (often) the restart
            const Wakes w = h.s->end_task(t);
            for (size_t k = 0; k < w.count; ++k)
                if (!h.waiting[w.list[k]]) __builtin_trap();
            h.waiting[t] = false;
            h.forget_rights_of(t);
            if (h.s->waiting(t)) __builtin_trap();
            if (arg & 1) h.start(t);
            break;
        }
        case 7: (void)h.s->kernel_send(arg % kQueues, m); break;
        case 8:
            if (!h.s->waiting(t) && h.waiting[t]) __builtin_trap();  // the model and the record agree
            break;
        case 9: {  // whose lent memory a token reaches (kLentRead/kLentWrite): as reply, nothing used up
            uint32_t token = arg;
            if (h.n_issued > 0 && (arg & 1)) token = h.issued[(arg >> 1) % h.n_issued].token;
            const size_t held = h.s->reply_rights_held(t);
            auto r = h.s->reply_target(t, token);
            if (h.s->reply_rights_held(t) != held) __builtin_trap();
            if (!r) break;
            const Issued* right = nullptr;
            for (size_t k = 0; k < h.n_issued; ++k)
                if (h.issued[k].holder == t && h.issued[k].token == token && !h.issued[k].used) right = &h.issued[k];
            if (right == nullptr || *r != right->caller) __builtin_trap();
            if (!h.waiting[right->caller] || h.serial[right->caller] != right->serial) __builtin_trap();
            break;
        }
        }
        check(h);
    }
    return 0;
}
