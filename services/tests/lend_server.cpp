// Test service: serves "lend", reading and writing what each call lends
// through its reply right (kLentRead, kLentWrite), and checking what the
// kernel refuses it. Its replies tell services/tests/lend_client.cpp what it
// saw: words[0] the sum of the lent bytes, words[1] the lent size, words[2]
// a bit per refusal that came as it must.
#include "service.hpp"
#include "test_lend.hpp"

WARDEN_SERVICE_MANIFEST(.name = "lend-server", .serves = "lend", .uses = {}, .ports = {}, .cpu = 3);

namespace {

using namespace warden;
using test_lend::Label;

constexpr int64_t fail(Error e) { return -static_cast<int64_t>(e); }

uint8_t bytes[test_lend::kMaxBytes];

// Reads the whole lend, sums it and gives every byte back inverted.
void serve_read_write(const svc::Message& m, svc::Message& r) {
    const int64_t size = svc::lent_read(m.reply, 0, bytes, 0);
    r.words[1] = static_cast<uint64_t>(size);
    if (size <= 0 || static_cast<size_t>(size) > sizeof bytes) return;
    const auto n = static_cast<size_t>(size);
    if (svc::lent_read(m.reply, 0, bytes, n) != size) return;
    uint64_t sum = 0;
    for (size_t i = 0; i < n; ++i) {
        sum += bytes[i];
        bytes[i] = static_cast<uint8_t>(~bytes[i]);
    }
    r.words[0] = sum;
    uint64_t refused = 0;
    // Past the end, by one byte and by a wrapping offset.
    if (svc::lent_read(m.reply, n - 1, bytes, 2) == fail(Error::kOutOfRange)) refused |= 1;
    if (svc::lent_write(m.reply, ~uint64_t{0}, bytes, 2) == fail(Error::kOutOfRange)) refused |= 2;
    // A right it does not hold: the token of another generation, or none.
    if (svc::lent_read(m.reply ^ 0x100, 0, bytes, 1) == fail(Error::kBadHandle)) refused |= 4;
    if (svc::lent_read(0, 0, bytes, 1) == fail(Error::kBadHandle)) refused |= 8;
    // Its own buffers must be fit: read into its text, write from the kernel's half.
    auto* text = reinterpret_cast<void*>(&service_main);
    if (svc::lent_read(m.reply, 0, text, 1) == fail(Error::kInvalidArgument)) refused |= 16;
    if (svc::lent_write(m.reply, 0, reinterpret_cast<const void*>(0xffffffff80000000), 1) ==
        fail(Error::kInvalidArgument))
        refused |= 32;
    if (svc::lent_write(m.reply, 0, bytes, n) == size) refused |= 64;  // the inverted bytes go back
    r.words[2] = refused;
}

}  // namespace

extern "C" int64_t service_main() {
    uint32_t given_up = 0;  // the token of the call its caller gives up
    for (;;) {
        svc::Message m, r;
        if (svc::receive(0, m) != 0) continue;
        r.label = m.label;
        switch (static_cast<Label>(m.label)) {
        case Label::kReadWrite: serve_read_write(m, r); break;
        case Label::kGiveUp: given_up = m.reply; continue;  // no reply: the caller's timeout ends it
        case Label::kAfterGiveUp:
            // words[2]: whether the given-up call reached this server at all
            // (on a slow machine the caller may give up while it is queued).
            r.words[2] = given_up != 0;
            // The given-up call's lend is gone, and so is its right's use.
            r.words[0] = svc::lent_read(given_up, 0, bytes, 1) == fail(Error::kPeerGone) &&
                         svc::lent_write(given_up, 0, bytes, 1) == fail(Error::kPeerGone);
            r.words[1] = svc::reply(given_up, r) == fail(Error::kPeerGone);
            given_up = 0;
            break;
        case Label::kNoLend:
            r.words[0] = svc::lent_read(m.reply, 0, bytes, 0) == 0;
            r.words[1] = svc::lent_read(m.reply, 0, bytes, 1) == fail(Error::kOutOfRange);
            break;
        }
        const uint32_t token = m.reply;
        (void)svc::reply(token, r);
        if (static_cast<Label>(m.label) == Label::kReadWrite) {
            // After the reply the right is used up: the lend is out of reach.
            bytes[0] = svc::lent_read(token, 0, bytes, 1) == fail(Error::kBadHandle);
        }
    }
}
