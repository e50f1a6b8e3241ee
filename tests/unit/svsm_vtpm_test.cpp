// SVSM protocol 2 (lib/warden/svsm/vtpm.hpp and core.cpp `vtpm`) against the
// layout of SPEC-FACTS 7b / Linux's include/linux/tpm_svsm.h (typed in
// here, not taken from lib): VTPM_QUERY's bitmap, TPM_SEND_COMMAND's
// request and response in the one guest buffer, and every refusal.
#include <doctest/doctest.h>

#include "svsm_fake_guest.hpp"

using namespace warden;
using namespace warden::svsm;
using namespace warden::svsm::testing;

namespace {

constexpr uint64_t kBuf = 0x20000;

struct VtpmFixture : Fixture {
    FakeVtpm tpm;
    VtpmFixture() { vcpu.vtpm = &tpm; }
    // The request as Linux's tpm_svsm.c builds it: u32 platform command 8,
    // u8 locality, u32 size, the command (packed).
    void request(uint64_t gpa, const std::vector<uint8_t>& command, uint32_t platform = 8, uint8_t locality = 0,
                 int64_t size = -1) {
        const uint32_t n = size < 0 ? static_cast<uint32_t>(command.size()) : static_cast<uint32_t>(size);
        std::memcpy(g.mem.data() + gpa, &platform, 4);
        g.mem[gpa + 4] = locality;
        std::memcpy(g.mem.data() + gpa + 5, &n, 4);
        std::memcpy(g.mem.data() + gpa + 9, command.data(), command.size());
    }
    CallRegs vtpm_call(uint32_t call, uint64_t rcx = kBuf) {
        CallRegs r{.rax = call_rax(kProtocolVtpm, call), .rcx = rcx};
        dispatch(r, vcpu, g);
        return r;
    }
};

}  // namespace

TEST_CASE("svsm vtpm: VTPM_QUERY says TPM_SEND_COMMAND (bit 8) and no features; QUERY_PROTOCOL offers version 1") {
    VtpmFixture f;
    const CallRegs q = f.vtpm_call(kVtpmQuery);
    CHECK(q.rax == kSuccess);
    CHECK(q.rcx == 0x100);
    CHECK(q.rdx == 0);
    CHECK(f.call(CoreCall::kQueryProtocol, (uint64_t{2} << 32) | 1).rcx == ((uint64_t{1} << 32) | 1));
    f.tpm.is_offered = false;
    CHECK(f.call(CoreCall::kQueryProtocol, (uint64_t{2} << 32) | 1).rcx == 0);
    CHECK(f.vtpm_call(kVtpmQuery).rax == kErrUnsupportedProtocol);
    f.vcpu.vtpm = nullptr;
    CHECK(f.vtpm_call(kVtpmQuery).rax == kErrUnsupportedProtocol);
}

TEST_CASE("svsm vtpm: VTPM_CMD passes the command on and writes u32 size and the response over the buffer") {
    VtpmFixture f;
    const std::vector<uint8_t> cmd = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 32};
    f.request(kBuf + 0x123, cmd);  // any alignment: the buffer crosses into the next page
    CHECK(f.vtpm_call(kVtpmCmd, kBuf + 0x123).rax == kSuccess);
    CHECK(f.tpm.last == cmd);
    uint32_t size = 0;
    std::memcpy(&size, f.g.mem.data() + kBuf + 0x123, 4);
    CHECK(size == cmd.size());
    for (size_t i = 0; i < cmd.size(); ++i) CHECK(f.g.mem[kBuf + 0x123 + 4 + i] == cmd[cmd.size() - 1 - i]);
    // The largest command and the largest response fit.
    f.request(kBuf, std::vector<uint8_t>(4087, 7));
    f.tpm.response_size = 4092;
    CHECK(f.vtpm_call(kVtpmCmd).rax == kSuccess);
    CHECK(f.tpm.last.size() == 4087);
}

TEST_CASE("svsm vtpm: refused requests never reach the vTPM and change no guest byte") {
    VtpmFixture f;
    const std::vector<uint8_t> cmd(12, 1);
    auto refused = [&](uint64_t rcx, uint64_t want) {
        const Snapshot before = f.snapshot();
        const int sent = f.tpm.sent;
        CHECK(f.vtpm_call(kVtpmCmd, rcx).rax == want);
        CHECK(f.tpm.sent == sent);
        CHECK(f.snapshot() == before);
    };
    f.request(kBuf, cmd, 7);  // another platform command
    refused(kBuf, kErrUnsupportedCall);
    f.request(kBuf, cmd, 8, 1);  // locality 1
    refused(kBuf, kErrInvalidParameter);
    f.request(kBuf, cmd, 8, 0, 0);  // size 0
    refused(kBuf, kErrInvalidParameter);
    f.request(kBuf, cmd, 8, 0, 4088);  // past the page
    refused(kBuf, kErrInvalidParameter);
    f.request(kBuf, cmd);
    refused(0, kErrInvalidParameter);                      // GPA 0
    refused(0x100000, kErrInvalidAddress);                 // SVSM memory
    refused(0x100000 - 0x800, kErrInvalidAddress);         // runs into SVSM memory
    refused(FakeGuest::kTop - 0x800, kErrInvalidAddress);  // runs past guest memory
    CHECK(f.vtpm_call(2).rax == kErrUnsupportedCall);      // no such call
}

TEST_CASE("svsm vtpm: a vTPM that fails or answers past 4092 bytes is INVALID_REQUEST, the buffer untouched") {
    VtpmFixture f;
    f.request(kBuf, std::vector<uint8_t>(12, 1));
    const Snapshot before = f.snapshot();
    f.tpm.fail = true;
    CHECK(f.vtpm_call(kVtpmCmd).rax == kErrInvalidRequest);
    f.tpm.fail = false;
    f.tpm.response_size = 4093;
    CHECK(f.vtpm_call(kVtpmCmd).rax == kErrInvalidRequest);
    CHECK(f.snapshot() == before);
}

TEST_CASE("svsm vtpm: the buffer codec, by the spec's offsets") {
    std::vector<uint8_t> b(4096, 0);
    b[0] = 8;
    b[5] = 3;
    b[9] = 0xaa;
    b[10] = 0xbb;
    b[11] = 0xcc;
    auto c = parse_send_command(b);
    REQUIRE(c.ok());
    CHECK((c->size() == 3 && (*c)[0] == 0xaa && (*c)[2] == 0xcc));
    CHECK(parse_send_command(std::span<const uint8_t>(b).first(4095)).error() == Error::kTruncated);
    const uint8_t resp[] = {1, 2, 3};
    auto n = write_send_response(resp, b);
    REQUIRE(n.ok());
    CHECK(*n == 7);
    CHECK((b[0] == 3 && b[1] == 0 && b[4] == 1 && b[6] == 3));
    CHECK(write_send_response(std::vector<uint8_t>(4093), b).error() == Error::kOverflow);
}

TEST_CASE("svsm vtpm: the relay's frame: u32 size and command in, the request built, u32 size and response out") {
    std::vector<uint8_t> in = {3, 0, 0, 0, 0xaa, 0xbb, 0xcc}, out;
    size_t at = 0;
    std::vector<uint8_t> page(kVtpmBuffer, 0x77);
    std::vector<uint8_t> seen;
    auto f = relay_frame(
        std::span<uint8_t, kVtpmBuffer>(page.data(), kVtpmBuffer), [&] { return in.at(at++); },
        [&](uint8_t b) { out.push_back(b); },
        [&] {
            seen.assign(page.begin(), page.begin() + 12);
            // The vTPM's answer as VTPM_CMD leaves it: u32 size 2, then the bytes.
            page[0] = 2, page[1] = page[2] = page[3] = 0, page[4] = 0x11, page[5] = 0x22;
            return kSuccess;
        });
    CHECK(f.result == kSuccess);
    CHECK(f.size == 3);
    // The request as SPEC-FACTS 7b lays it out: u32 8, locality 0, u32 size 3, the command; the rest zero.
    CHECK(seen == std::vector<uint8_t>{8, 0, 0, 0, 0, 3, 0, 0, 0, 0xaa, 0xbb, 0xcc});
    CHECK(out == std::vector<uint8_t>{2, 0, 0, 0, 0x11, 0x22});
}

TEST_CASE("svsm vtpm: the relay's frame: a command past 4087 bytes is read whole and answered with size 0, not sent") {
    std::vector<uint8_t> in = {0xf8, 0x0f, 0, 0};  // 4088
    in.resize(4 + 4088, 0x5a);
    in.insert(in.end(), {1, 0, 0, 0, 9});  // the next frame starts where this one ends
    size_t at = 0;
    std::vector<uint8_t> page(kVtpmBuffer), out;
    int calls = 0;
    auto read = [&] { return in.at(at++); };
    auto write = [&](uint8_t b) { out.push_back(b); };
    auto f = relay_frame(std::span<uint8_t, kVtpmBuffer>(page.data(), kVtpmBuffer), read, write, [&] {
        ++calls;
        return kSuccess;
    });
    CHECK(f.result == kErrInvalidParameter);
    CHECK(calls == 0);
    CHECK(out == std::vector<uint8_t>{0, 0, 0, 0});
    CHECK(at == 4 + 4088);
    // A refused call: size 0 back as well.
    out.clear();
    auto g = relay_frame(std::span<uint8_t, kVtpmBuffer>(page.data(), kVtpmBuffer), read, write,
                         [&] { return kErrInvalidRequest; });
    CHECK((g.result == kErrInvalidRequest && g.size == 1));
    CHECK(out == std::vector<uint8_t>{0, 0, 0, 0});
}
