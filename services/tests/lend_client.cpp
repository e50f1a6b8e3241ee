// Test service: calls "lend" (services/tests/lend_server.cpp) lending parts
// of its memory, and checks what came back and what the kernel refused.
// Exit code 0 when every check held; the log line names the failed ones.
#include "service.hpp"
#include "test_lend.hpp"

WARDEN_SERVICE_MANIFEST(.name = "lend-client", .serves = "", .uses = {"lend"}, .ports = {}, .cpu = 1);

namespace {

using namespace warden;
using test_lend::Label;

constexpr int64_t fail(Error e) { return -static_cast<int64_t>(e); }

alignas(4096) uint8_t memory[test_lend::kMaxBytes];

int64_t lend_call(Label label, void* lend, size_t size, svc::Message& r, uint64_t timeout_ms = 5000) {
    svc::Message m;
    m.label = static_cast<uint64_t>(label);
    return svc::call(1, m, r, timeout_ms, lend, size);
}

}  // namespace

extern "C" int64_t service_main() {
    uint64_t failed = 0;
    auto expect = [&](bool ok, unsigned bit) {
        if (!ok) failed |= uint64_t{1} << bit;
    };
    // Two pages and a bit, not page aligned: the copies cross pages on both sides.
    constexpr size_t kAt = 100, kSize = 2 * 4096 + 77;
    uint64_t sum = 0;
    for (size_t i = 0; i < kSize; ++i) {
        memory[kAt + i] = static_cast<uint8_t>(i * 7 + 3);
        sum += memory[kAt + i];
    }
    svc::Message r;
    expect(lend_call(Label::kReadWrite, memory + kAt, kSize, r) == 0, 0);
    expect(r.words[0] == sum && r.words[1] == kSize, 1);
    expect(r.words[2] == 127, 2);  // every refusal the server tried
    bool inverted = true;
    for (size_t i = 0; i < kSize; ++i) inverted &= memory[kAt + i] == static_cast<uint8_t>(~(i * 7 + 3));
    expect(inverted && memory[kAt - 1] == 0 && memory[kAt + kSize] == 0, 3);  // and nothing beside it

    // Refused at the call, before anything is sent: too much, its text, the kernel's half.
    expect(lend_call(Label::kReadWrite, memory, abi::kMaxLend + 1, r) == fail(Error::kOutOfRange), 4);
    expect(lend_call(Label::kReadWrite, reinterpret_cast<void*>(&service_main), 16, r) == fail(Error::kInvalidArgument),
           5);
    expect(lend_call(Label::kReadWrite, reinterpret_cast<void*>(0xffffffff80000000), 16, r) ==
               fail(Error::kInvalidArgument),
           6);

    // A call given up while the server holds it: its lend is out of the
    // server's reach from then on. The server must have taken it before
    // the timeout; if it had not (a loaded machine), again with a longer one.
    memory[0] = 0x5a;
    bool held = false;
    for (uint64_t timeout_ms = 50; !held && timeout_ms <= 3200; timeout_ms *= 2) {
        expect(lend_call(Label::kGiveUp, memory, 64, r, timeout_ms) == fail(Error::kTimedOut), 7);
        expect(lend_call(Label::kAfterGiveUp, memory + 4096, 64, r) == 0, 8);
        held = r.words[2] == 1;
    }
    expect(held && r.words[0] == 1 && r.words[1] == 1, 8);
    expect(memory[0] == 0x5a, 9);

    expect(lend_call(Label::kNoLend, nullptr, 0, r) == 0 && r.words[0] == 1 && r.words[1] == 1, 10);
    svc::log("lend: {} bytes lent across pages and CPUs, read and written back; refusals checked; failed checks {:#x}",
             kSize, failed);
    return failed == 0 ? 0 : 1;
}
