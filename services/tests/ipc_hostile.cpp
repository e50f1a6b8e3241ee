// Test service (issue 18): a hostile task. Every attack on the IPC layer the
// old kernel let through, each refusal checked: receiving on queues it only
// uses, replies with guessed tokens and with variations of one it learned,
// a second reply, a reply to a caller that gave up, a flood of a queue it
// shares, calls a server never answers; then a seeded loop of random IPC
// calls. Exits with the number of refusals that did not happen; the victims'
// own verdicts and the kernel's invariants are checked by the boot test.
#include "service.hpp"
#include "tally.hpp"

WARDEN_SERVICE_MANIFEST(.name = "hostile", .serves = "hostile-q", .uses = {"victim", "sink"}, .ports = {},
                        .cpu = warden::abi::kAnyCpu);

namespace {

using warden::Error;
using warden::abi::Sys;
service_test::Tally tally;

constexpr int64_t err(Error e) { return -static_cast<int64_t>(e); }

uint64_t next(uint64_t& state) {  // xorshift64
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

void random_calls(uint64_t seed, int rounds) {
    svc::log("random IPC calls: seed {:#x}, {} rounds", seed, rounds);
    uint64_t s = seed;
    svc::Message m;
    for (int i = 0; i < rounds; ++i) {
        const uint64_t x = next(s);
        m.words[0] = x;
        // A blocked receive waits at least a tick (10 ms): mostly polls, so the
        // loop ends in seconds. A call's 0 would mean no limit: 1 ms or more.
        const uint64_t handle = (x >> 8) % 10, timeout = (x >> 16) % 64 == 0 ? 1 : 0;
        switch (x % 4) {
        case 0: (void)svc::send(handle, m); break;
        case 1: (void)svc::receive(handle, m, timeout); break;
        case 2: (void)svc::call(handle, m, m, timeout + 1); break;
        case 3: (void)svc::syscall(Sys::kReply, x >> 24, reinterpret_cast<uint64_t>(&m)); break;
        }
    }
}

}  // namespace

extern "C" int64_t service_main() {
    svc::Message m;
    // 1. Receive on queues it may only send to: the old kernel let a client
    //    take a service's messages and lock its server out.
    tally.expect(svc::receive(1, m, 0), Error::kBadHandle, "receive on a queue it only uses");
    tally.expect(svc::receive(2, m, 0), Error::kBadHandle, "receive on another queue it only uses");
    // 2. Guessed tokens: the old tokens were global and sequential.
    int forged = 0;
    for (uint32_t token = 1; token < 4096; ++token) forged += svc::reply(token, m) != err(Error::kBadHandle);
    tally.expect_true(forged == 0, "every guessed token is no reply right of its own");
    // 3. A learned token: the victim client's call gives it one right.
    int64_t r = svc::receive(0, m, 10'000);
    tally.expect(r, Error{}, "the victim client's first call arrives");
    const uint32_t token = m.reply;
    tally.expect_true(token != 0, "it came with a reply right");
    for (uint32_t k = 1; k < 64; ++k) {
        forged += svc::reply(token + (k << 8), m) != err(Error::kBadHandle);  // other generations
        if (k != (token & 0xff))
            forged += svc::reply((token & ~0xffu) | k, m) != err(Error::kBadHandle);  // other slots
    }
    tally.expect_true(forged == 0, "variations of a learned token name no right");
    svc::Message answer;
    answer.words[0] = m.words[0] + 1;
    tally.expect(svc::reply(token, answer), Error{}, "its own right answers its own call");
    tally.expect(svc::reply(token, answer), Error::kBadHandle, "a second reply with it");
    // 4. A reply after the caller gave up (the client waits 300 ms).
    r = svc::receive(0, m, 10'000);
    tally.expect(r, Error{}, "the victim client's second call arrives");
    (void)svc::receive(0, answer, 800);  // outwait its timeout
    tally.expect(svc::reply(m.reply, answer), Error::kPeerGone, "a reply to a caller that gave up");
    // 5. A flood of the queue it shares with the victim client: its share only.
    int accepted = 0, busy = 0;
    for (int i = 0; i < 1000; ++i) {
        const int64_t s = svc::send(1, m);
        accepted += s == 0;
        busy += s == err(Error::kBusy);
    }
    tally.expect_true(busy > 0, "a flood stops at its share of the queue");
    // 6. Calls a server never answers, each given up at its timeout: nothing
    //    stays held for them, in the kernel or for anyone else.
    //    The sink ends once it holds all its reply rights: the calls after
    //    that end at once with kPeerGone.
    int timed_out = 0, gone = 0;
    for (int i = 0; i < 64; ++i) {
        const int64_t c = svc::call(2, m, m, 20);
        timed_out += c == err(Error::kTimedOut);
        gone += c == err(Error::kPeerGone);
    }
    tally.expect_true(timed_out > 0 && timed_out + gone == 64,
                      "calls nobody answers time out, or end with the server that held them");
    svc::log("flood: {} sends accepted, {} refused busy; calls to the sink: {} timed out, {} ended with it", accepted,
             busy, timed_out, gone);
    // 7. Random IPC calls, the seed printed so that a failure can be replayed.
    random_calls(svc::rdtsc() | 1, 10'000);
    return tally.finish();
}
