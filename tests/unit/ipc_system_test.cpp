#include <doctest/doctest.h>

#include <memory>

#include "warden/ipc/system.hpp"

using namespace warden;
using namespace warden::ipc;

namespace {

// Three tasks as the manifests would make them: a server (slot 0, id 1)
// receiving on queue 0 (its handle 0), a client (slot 1, id 2) and an
// intruder (slot 2, id 3), both with the send right on queue 0 (handle 1).
std::unique_ptr<System> three_tasks() {
    auto s = std::make_unique<System>();
    REQUIRE(s->add_task(0, 1).ok());
    REQUIRE(s->add_task(1, 2).ok());
    REQUIRE(s->add_task(2, 3).ok());
    REQUIRE(s->grant(0, 0, 0, kRightReceive).ok());
    REQUIRE(s->grant(1, 1, 0, kRightSend).ok());
    REQUIRE(s->grant(2, 1, 0, kRightSend).ok());
    return s;
}

abi::Message msg(uint64_t label) {
    abi::Message m;
    m.label = label;
    return m;
}

}  // namespace

TEST_CASE("ipc: a call reaches the server with a reply right only it can use, once") {
    auto s = three_tasks();
    auto wakes = s->call(1, 1, msg(7));
    REQUIRE(wakes.ok());
    CHECK(*wakes == kNobody);  // the server does not wait yet
    CHECK(s->waiting(1));
    auto got = s->receive(0, 0);
    REQUIRE(got.ok());
    CHECK(got->label == 7);
    CHECK(got->sender == 2);
    CHECK(got->reply != 0);
    CHECK(s->reply_rights_held(0) == 1);
    // The intruder, with the token learned (or guessed), holds no such right.
    CHECK(s->reply(2, got->reply, msg(666)).error() == Error::kBadHandle);
    CHECK(s->take_reply(1).error() == Error::kNotFound);  // nothing reached the caller
    auto answered = s->reply(0, got->reply, msg(8));
    REQUIRE(answered.ok());
    CHECK(*answered == 1);  // the caller to wake
    auto r = s->take_reply(1);
    REQUIRE(r.ok());
    CHECK(r->label == 8);
    CHECK(r->sender == 1);  // the server's id, written by the kernel
    CHECK_FALSE(s->waiting(1));
    // A second reply with the same token: the right is used up.
    CHECK(s->reply(0, got->reply, msg(9)).error() == Error::kBadHandle);
    CHECK(s->reply_rights_held(0) == 0);
    CHECK(s->broken_invariant() == nullptr);
}

TEST_CASE("ipc: only the server receives; a client cannot take messages off the queue it uses") {
    auto s = three_tasks();
    REQUIRE(s->send(1, 1, msg(1)).ok());
    CHECK(s->receive(2, 1).error() == Error::kBadHandle);  // send right only
    CHECK(s->receive(2, 0).error() == Error::kBadHandle);  // no handle 0
    CHECK(s->receive(1, 7).error() == Error::kBadHandle);
    CHECK(s->receive(1, 1000).error() == Error::kBadHandle);
    CHECK(s->queued(0) == 1);
    CHECK(s->receive(0, 0).ok());
    // A second receive right on the queue cannot be minted while its server lives.
    CHECK(s->grant(2, 2, 0, kRightReceive).error() == Error::kAlreadyMapped);
    // Nor may a server send on its receive-only handle.
    CHECK(s->send(0, 0, msg(2)).error() == Error::kBadHandle);
}

TEST_CASE("ipc: a reply after the caller gave up reaches nobody and says so") {
    auto s = three_tasks();
    REQUIRE(s->call(1, 1, msg(1)).ok());
    auto got = s->receive(0, 0);
    REQUIRE(got.ok());
    s->give_up(1);  // its timeout
    CHECK(s->reply(0, got->reply, msg(2)).error() == Error::kPeerGone);
    CHECK(s->reply_rights_held(0) == 0);  // used up all the same
    CHECK(s->take_reply(1).error() == Error::kNotFound);
    // Its next call is a new call: the old right, had it survived, could not answer it.
    REQUIRE(s->call(1, 1, msg(3)).ok());
    auto next = s->receive(0, 0);
    REQUIRE(next.ok());
    CHECK(next->reply != got->reply);
    REQUIRE(s->reply(0, next->reply, msg(4)).ok());
    CHECK(s->take_reply(1)->label == 4);
}

TEST_CASE("ipc: a call given up while still queued is dropped, never received") {
    auto s = three_tasks();
    REQUIRE(s->call(1, 1, msg(1)).ok());
    s->give_up(1);
    REQUIRE(s->send(2, 1, msg(2)).ok());
    auto got = s->receive(0, 0);
    REQUIRE(got.ok());
    CHECK(got->label == 2);
    CHECK(got->reply == 0);
    CHECK(s->receive(0, 0).error() == Error::kNotFound);
}

TEST_CASE("ipc: a sender fills only its own share of a queue; others still send") {
    auto s = three_tasks();
    for (size_t i = 0; i < kSenderSlots; ++i) REQUIRE(s->send(2, 1, msg(i)).ok());
    CHECK(s->send(2, 1, msg(99)).error() == Error::kBusy);
    CHECK(s->call(2, 1, msg(99)).error() == Error::kBusy);
    CHECK_FALSE(s->waiting(2));  // a refused call leaves nothing waiting
    CHECK(s->charged(2, 0) == kSenderSlots);
    REQUIRE(s->send(1, 1, msg(100)).ok());
    REQUIRE(s->call(1, 1, msg(101)).ok());
    CHECK(s->call(1, 1, msg(102)).error() == Error::kBusy);  // one call at a time
    CHECK(s->queued(0) == kSenderSlots + 2);
    // Receiving gives the share back.
    REQUIRE(s->receive(0, 0).ok());
    REQUIRE(s->send(2, 1, msg(5)).ok());
    CHECK(s->broken_invariant() == nullptr);
}

TEST_CASE("ipc: a server holding all its reply rights takes no more calls until it answers") {
    auto s = std::make_unique<System>();
    REQUIRE(s->add_task(0, 1).ok());
    REQUIRE(s->grant(0, 0, 0, kRightReceive).ok());
    uint32_t tokens[kReplyRights + 1] = {};
    for (TaskSlot c = 1; c <= kReplyRights + 1; ++c) {
        REQUIRE(s->add_task(c, c + 1).ok());
        REQUIRE(s->grant(c, 1, 0, kRightSend).ok());
        REQUIRE(s->call(c, 1, msg(c)).ok());
    }
    for (size_t i = 0; i < kReplyRights; ++i) {
        auto got = s->receive(0, 0);
        REQUIRE(got.ok());
        tokens[i] = got->reply;
    }
    CHECK(s->receive(0, 0).error() == Error::kBusy);
    CHECK(s->queued(0) == 1);  // the call waits in the queue, not lost
    REQUIRE(s->reply(0, tokens[3], msg(0)).ok());
    auto last = s->receive(0, 0);
    REQUIRE(last.ok());
    CHECK(last->label == kReplyRights + 1);
    CHECK(last->reply != tokens[3]);  // the slot is reused under a new generation
}

TEST_CASE("ipc: a server that ends answers its callers at once, held and queued; its queue refuses new ones") {
    auto s = three_tasks();
    REQUIRE(s->call(1, 1, msg(1)).ok());
    REQUIRE(s->receive(0, 0).ok());       // held: a reply right
    REQUIRE(s->call(2, 1, msg(2)).ok());  // queued
    const Wakes w = s->end_task(0);
    REQUIRE(w.count == 2);
    CHECK(w.list[0] == 1);
    CHECK(w.list[1] == 2);
    CHECK(s->take_reply(1).error() == Error::kPeerGone);
    CHECK(s->take_reply(2).error() == Error::kPeerGone);
    CHECK(s->queued(0) == 0);
    CHECK(s->send(1, 1, msg(3)).error() == Error::kPeerGone);
    CHECK(s->call(1, 1, msg(3)).error() == Error::kPeerGone);
    CHECK_FALSE(s->waiting(1));
    CHECK(s->broken_invariant() == nullptr);
}

TEST_CASE("ipc: a restartable queue keeps its messages for the next server, which alone answers them") {
    auto s = three_tasks();
    s->set_restartable(0, true);
    REQUIRE(s->call(1, 1, msg(1)).ok());
    auto held = s->receive(0, 0);
    REQUIRE(held.ok());
    REQUIRE(s->call(2, 1, msg(2)).ok());
    const Wakes w = s->end_task(0);
    REQUIRE(w.count == 1);  // the held call: its server's state is gone with it
    CHECK(w.list[0] == 1);
    CHECK(s->queued(0) == 1);  // the queued call waits for the next server
    REQUIRE(s->send(1, 1, msg(3)).ok());
    REQUIRE(s->add_task(0, 9).ok());  // the restart: a new task in the slot
    REQUIRE(s->grant(0, 0, 0, kRightReceive).ok());
    CHECK(s->reply(0, held->reply, msg(0)).error() == Error::kBadHandle);  // the old right died with the old task
    auto got = s->receive(0, 0);
    REQUIRE(got.ok());
    CHECK(got->label == 2);
    REQUIRE(s->reply(0, got->reply, msg(20)).ok());
    auto r = s->take_reply(2);
    REQUIRE(r.ok());
    CHECK(r->sender == 9);
}

TEST_CASE("ipc: an ended task holds nothing: its queued messages and its call go") {
    auto s = three_tasks();
    REQUIRE(s->send(2, 1, msg(1)).ok());
    REQUIRE(s->call(2, 1, msg(2)).ok());
    REQUIRE(s->send(1, 1, msg(3)).ok());
    CHECK(s->end_task(2).count == 0);
    CHECK(s->charged(2, 0) == 0);
    CHECK(s->queued(0) == 1);
    CHECK(s->receive(0, 0)->label == 3);
    CHECK(s->send(2, 1, msg(4)).error() == Error::kBadHandle);  // no rights left
    CHECK(s->broken_invariant() == nullptr);
}

TEST_CASE("ipc: malformed tokens, handles and grants are refused") {
    auto s = three_tasks();
    for (uint32_t token : {0u, 0xffu, 0x100u, reply_token(kReplyRights, 1), 0xffffffffu, reply_token(0, 2)})
        CHECK(s->reply(0, token, msg(0)).error() == Error::kBadHandle);
    CHECK(s->reply(60, reply_token(0, 1), msg(0)).error() == Error::kBadHandle);  // no such task
    CHECK(s->send(60, 1, msg(0)).error() == Error::kBadHandle);
    CHECK(s->grant(1, abi::kMaxHandles, 0, kRightSend).error() == Error::kOutOfRange);
    CHECK(s->grant(1, 2, kMaxQueues, kRightSend).error() == Error::kOutOfRange);
    CHECK(s->grant(1, 1, 1, kRightSend).error() == Error::kAlreadyMapped);  // handle 1 is queue 0's
    CHECK(s->grant(1, 2, 1, 0).error() == Error::kInvalidArgument);
    CHECK(s->grant(1, 2, 1, 4).error() == Error::kInvalidArgument);
    CHECK(s->add_task(1, 5).error() == Error::kOutOfRange);  // the slot is live
    CHECK(s->add_task(kMaxTasks, 5).error() == Error::kOutOfRange);
    CHECK(s->kernel_send(5, msg(0)).error() == Error::kNotFound);  // never added
    CHECK(s->add_queue(kMaxQueues).error() == Error::kOutOfRange);
    REQUIRE(s->add_queue(5).ok());
    CHECK(s->kernel_send(5, msg(0)).ok());  // a queue with no server yet keeps it
}

TEST_CASE("ipc: the kernel's doorbell wakes a waiting server and has one share") {
    auto s = three_tasks();
    CHECK(s->receive(0, 0).error() == Error::kNotFound);  // now waiting
    auto w = s->kernel_send(0, msg(1));
    REQUIRE(w.ok());
    CHECK(*w == 0);  // the server, which waits
    for (size_t i = 1; i < kSenderSlots; ++i) REQUIRE(s->kernel_send(0, msg(1)).ok());
    CHECK(s->kernel_send(0, msg(1)).error() == Error::kBusy);
    CHECK(s->receive(0, 0)->sender == 0);  // the kernel's
}

TEST_CASE("ipc: a right held for a task that ended never answers the task restarted in its slot") {
    auto s = three_tasks();
    REQUIRE(s->call(1, 1, msg(1)).ok());
    auto old_call = s->receive(0, 0);
    REQUIRE(old_call.ok());
    CHECK(s->end_task(1).count == 0);
    REQUIRE(s->add_task(1, 42).ok());  // the same slot, a new task (and its first call, number 1 again)
    REQUIRE(s->grant(1, 1, 0, kRightSend).ok());
    REQUIRE(s->call(1, 1, msg(2)).ok());
    CHECK(s->reply(0, old_call->reply, msg(666)).error() == Error::kPeerGone);
    CHECK(s->take_reply(1).error() == Error::kNotFound);
    auto new_call = s->receive(0, 0);
    REQUIRE(new_call.ok());
    CHECK(new_call->sender == 42);
    REQUIRE(s->reply(0, new_call->reply, msg(3)).ok());
    CHECK(s->take_reply(1)->label == 3);
}

TEST_CASE("ipc: reply_target names the waiting caller to the right's holder alone, until the call ends") {
    auto s = three_tasks();
    REQUIRE(s->call(1, 1, msg(1)).ok());
    auto got = s->receive(0, 0);
    REQUIRE(got.ok());
    auto target = s->reply_target(0, got->reply);
    REQUIRE(target.ok());
    CHECK(*target == 1);
    CHECK(s->reply_rights_held(0) == 1);                                         // asking uses nothing up
    CHECK(s->reply_target(2, got->reply).error() == Error::kBadHandle);          // not the intruder's right
    CHECK(s->reply_target(0, got->reply + 0x100).error() == Error::kBadHandle);  // another generation
    CHECK(s->reply_target(0, 0).error() == Error::kBadHandle);
    CHECK(s->reply_target(7, got->reply).error() == Error::kBadHandle);  // no such task
    s->give_up(1);
    CHECK(s->reply_target(0, got->reply).error() == Error::kPeerGone);  // the lender stopped waiting
    // Its next call: the old token names nothing it lent then.
    REQUIRE(s->call(1, 1, msg(2)).ok());
    CHECK(s->reply_target(0, got->reply).error() == Error::kPeerGone);
    auto next = s->receive(0, 0);
    REQUIRE(next.ok());
    CHECK(*s->reply_target(0, next->reply) == 1);
    REQUIRE(s->reply(0, next->reply, msg(3)).ok());
    CHECK(s->reply_target(0, next->reply).error() == Error::kBadHandle);  // used up by the reply
    CHECK(s->broken_invariant() == nullptr);
}

TEST_CASE("ipc: a caller that ends is no reply target") {
    auto s = three_tasks();
    REQUIRE(s->call(1, 1, msg(1)).ok());
    auto got = s->receive(0, 0);
    REQUIRE(got.ok());
    (void)s->end_task(1);
    CHECK(s->reply_target(0, got->reply).error() == Error::kPeerGone);
}
