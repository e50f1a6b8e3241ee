#include <doctest/doctest.h>

#include <array>

#include "warden/svm/vc_frame.hpp"

using namespace warden;
using namespace warden::svm;

namespace {
std::array<uint8_t, 16> gate_bytes(uint64_t handler, uint16_t sel, uint8_t ist, uint8_t attr) {
    std::array<uint8_t, 16> g{};
    g[0] = handler & 0xff, g[1] = (handler >> 8) & 0xff;
    g[2] = sel & 0xff, g[3] = sel >> 8;
    g[4] = ist;
    g[5] = attr;
    g[6] = (handler >> 16) & 0xff, g[7] = (handler >> 24) & 0xff;
    for (int i = 0; i < 4; ++i) g[8 + i] = (handler >> (32 + 8 * i)) & 0xff;
    return g;
}
}  // namespace

TEST_CASE("svm vc_frame: a 64-bit interrupt gate decodes") {
    auto g = decode_gate(gate_bytes(0xffffffff8200abcd, 0x08, 3, 0x8e));
    REQUIRE(g);
    CHECK(g->handler == 0xffffffff8200abcd);
    CHECK(g->selector == 0x08);
    CHECK(g->ist == 3);
    CHECK(g->type == kGateInterrupt);
    CHECK(g->dpl == 0);
}

TEST_CASE("svm vc_frame: gates the CPU would refuse, with the exact error") {
    CHECK(decode_gate(gate_bytes(0x1000, 0x08, 0, 0x0e)).error() == Error::kNotFound);         // not present
    CHECK(decode_gate(gate_bytes(0x1000, 0x08, 0, 0x8c)).error() == Error::kInvalidArgument);  // call gate
    CHECK(decode_gate(gate_bytes(0x0000900000000000, 0x08, 0, 0x8e)).error() == Error::kInvalidArgument);
    CHECK(decode_gate(gate_bytes(0x1000, 0x00, 0, 0x8e)).error() == Error::kInvalidArgument);  // null selector
}

TEST_CASE("svm vc_frame: same stack, CPL 0: aligned frame, error code first, IF cleared") {
    const Interrupted at{.rip = 0x1234, .rsp = 0x8008, .rflags = 0x10302, .cs = 0x08, .ss = 0x10, .cpl = 0};
    const IdtGate gate{.handler = 0xffffffff80001000, .selector = 0x08, .ist = 0, .type = kGateInterrupt};
    CHECK(tss_stack_offset(gate, 0) == 0);
    auto d = build_exception_frame(at, gate, 0x72, 0xdead);
    REQUIRE(d);
    CHECK(d->rsp == 0x8000 - 48);
    CHECK(d->rip == 0xffffffff80001000);
    CHECK(d->cs == 0x08);
    CHECK(d->ss == 0x10);
    CHECK(d->rflags == 0x2);  // IF, TF, RF cleared
    CHECK(d->frame == std::array<uint64_t, 6>{0x72, 0x1234, 0x08, 0x10302, 0x8008, 0x10});
}

TEST_CASE("svm vc_frame: IST and privilege change pick their stacks; a trap gate keeps IF") {
    const IdtGate ist{.handler = 0x2000, .selector = 0x08, .ist = 2, .type = kGateTrap};
    CHECK(tss_stack_offset(ist, 0) == 0x2c);
    const Interrupted at{.rip = 1, .rsp = 0x5000, .rflags = 0x202, .cs = 0x08, .ss = 0x10, .cpl = 0};
    auto d = build_exception_frame(at, ist, 7, 0x9000);
    REQUIRE(d);
    CHECK(d->rsp == 0x9000 - 48);
    CHECK(d->rflags == 0x202);
    const IdtGate plain{.handler = 0x2000, .selector = 0x08, .ist = 0, .type = kGateInterrupt};
    CHECK(tss_stack_offset(plain, 3) == 0x04);
    const Interrupted user{.rip = 1, .rsp = 0x5000, .rflags = 0x202, .cs = 0x2b, .ss = 0x23, .cpl = 3};
    auto u = build_exception_frame(user, plain, 7, 0x7008);
    REQUIRE(u);
    CHECK(u->rsp == 0x7000 - 48);
    CHECK(u->ss == 0);
    CHECK(u->frame[5] == 0x23);
}

TEST_CASE("svm vc_frame: refused deliveries") {
    const IdtGate ring3{.handler = 0x2000, .selector = 0x1b, .ist = 0, .type = kGateInterrupt};
    const Interrupted at{.rip = 1, .rsp = 0x5000, .rflags = 2, .cs = 8, .ss = 0x10, .cpl = 0};
    CHECK(build_exception_frame(at, ring3, 0, 0).error() == Error::kUnsupported);
    const IdtGate ist{.handler = 0x2000, .selector = 0x08, .ist = 1, .type = kGateInterrupt};
    CHECK(build_exception_frame(at, ist, 0, 0x0000800000000000).error() == Error::kInvalidArgument);
}
