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
    CHECK(decode_gate(gate_bytes(0x1000, 0x08, 0, 0x9e)).error() == Error::kInvalidArgument);  // S set: code segment
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

namespace {
std::array<uint8_t, 8> gate32_bytes(uint32_t handler, uint16_t sel, uint8_t attr) {
    return {static_cast<uint8_t>(handler),
            static_cast<uint8_t>(handler >> 8),
            static_cast<uint8_t>(sel),
            static_cast<uint8_t>(sel >> 8),
            0,
            attr,
            static_cast<uint8_t>(handler >> 16),
            static_cast<uint8_t>(handler >> 24)};
}
}  // namespace

// OVMF's reset vector: a flat 32-bit code segment 0x10, its #VC handler
// in the flash, the stack in pre-validated RAM (values as in edk2's
// ResetVector, Ia32/AmdSev.asm; the layout from APM vol. 2 figure 4-24).
TEST_CASE("svm vc_frame: a 32-bit interrupt gate decodes; 16-bit, task and absent gates do not") {
    auto g = decode_gate32(gate32_bytes(0xfffffc4a, 0x10, 0x8e));
    REQUIRE(g);
    CHECK(g->handler == 0xfffffc4a);
    CHECK(g->selector == 0x10);
    CHECK(g->type == kGateInterrupt);
    CHECK(g->ist == 0);
    CHECK(decode_gate32(gate32_bytes(0xfffffc4a, 0x10, 0x8f))->type == kGateTrap);
    CHECK(decode_gate32(gate32_bytes(0xfffffc4a, 0x10, 0x0e)).error() == Error::kNotFound);
    CHECK(decode_gate32(gate32_bytes(0xfffffc4a, 0x10, 0x86)).error() == Error::kInvalidArgument);  // 16-bit
    CHECK(decode_gate32(gate32_bytes(0xfffffc4a, 0x10, 0x85)).error() == Error::kInvalidArgument);  // task gate
    CHECK(decode_gate32(gate32_bytes(0xfffffc4a, 0x03, 0x8e)).error() == Error::kInvalidArgument);  // null selector
    CHECK(decode_gate32(gate32_bytes(0xfffffc4a, 0x10, 0x9e)).error() == Error::kInvalidArgument);  // S set: code
    CHECK(decode_gate32(gate32_bytes(0xfffffc4a, 0x10, 0x9f)).error() == Error::kInvalidArgument);  // S set
    CHECK(decode_gate32(gate32_bytes(0xfffffc4a, 0x10, 0xee))->dpl == 3);  // DPL is kept, not checked (an exception)
}

TEST_CASE(
    "svm vc_frame: 32-bit frame on the same stack: error code, EIP, CS, EFLAGS; IF cleared by an interrupt gate") {
    const Interrupted at{.rip = 0xfffffbbd, .rsp = 0x820000, .rflags = 0x14302, .cs = 0x10, .ss = 0x18, .cpl = 0};
    const IdtGate gate{.handler = 0xfffffc4a, .selector = 0x10, .type = kGateInterrupt};
    auto d = build_exception_frame32(at, gate, 0x72);
    REQUIRE(d);
    CHECK(d->esp == 0x820000 - 16);
    CHECK(d->eip == 0xfffffc4a);
    CHECK(d->cs == 0x10);
    CHECK(d->eflags == 0x2);  // IF, TF, NT and RF clear (VM is refused: below)
    CHECK(d->frame == std::array<uint32_t, 4>{0x72, 0xfffffbbd, 0x10, 0x14302});
    const IdtGate trap{.handler = 0xfffffc4a, .selector = 0x10, .type = kGateTrap};
    CHECK(build_exception_frame32(at, trap, 0x72)->eflags == 0x202);  // a trap gate keeps IF
}

TEST_CASE("svm vc_frame: a 32-bit gate into another code segment is not modelled") {
    const Interrupted at{.rip = 0x1000, .rsp = 0x8000, .rflags = 0x2, .cs = 0x10, .ss = 0x18, .cpl = 0};
    const IdtGate gate{.handler = 0x2000, .selector = 0x08, .type = kGateInterrupt};
    CHECK(build_exception_frame32(at, gate, 0x72).error() == Error::kUnsupported);
    // Virtual-8086 mode: a privilege change with more on the stack, not modelled.
    const Interrupted v86{.rip = 0x1000, .rsp = 0x8000, .rflags = 0x20002, .cs = 0x08, .ss = 0x18, .cpl = 3};
    CHECK(build_exception_frame32(v86, gate, 0x72).error() == Error::kUnsupported);
}

// A 32-bit stack pointer wraps modulo 2^32 (APM vol. 2 8.7.2 pushes
// decrement ESP; no canonical check outside long mode).
TEST_CASE("svm vc_frame: a 32-bit frame below ESP 16 wraps to the top of the 4 GiB stack segment") {
    const Interrupted at{.rip = 0x1000, .rsp = 0x8, .rflags = 0x2, .cs = 0x10, .ss = 0x18, .cpl = 0};
    const IdtGate gate{.handler = 0x2000, .selector = 0x10, .type = kGateInterrupt};
    auto d = build_exception_frame32(at, gate, 0x72);
    REQUIRE(d);
    CHECK(d->esp == 0xfffffff8);
}

TEST_CASE("svm vc_frame: the CS a delivery from CPL 3 loads: a present 64-bit ring-0 code descriptor, nothing else") {
    using D = std::array<uint8_t, svm::kSegmentDescriptorSize>;
    // Warden's kernel code segment as its GDT holds it: access 0x9a (present,
    // DPL 0, code, readable), flags 0xa (G, L).
    const D kernel_code{0xff, 0xff, 0, 0, 0, 0x9a, 0xaf, 0};
    auto a = svm::code_segment_attributes(kernel_code);
    REQUIRE(a.ok());
    CHECK(*a == 0xa9a);
    const D user_code{0xff, 0xff, 0, 0, 0, 0xfa, 0xaf, 0};  // DPL 3
    const D data{0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0};       // a data segment
    const D absent{0xff, 0xff, 0, 0, 0, 0x1a, 0xaf, 0};     // not present
    const D compat{0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0};     // 32-bit (D set, L clear)
    const D both{0xff, 0xff, 0, 0, 0, 0x9a, 0xef, 0};       // L and D set: reserved
    for (const D& d : {user_code, data, absent, compat, both})
        CHECK(svm::code_segment_attributes(d).error() == Error::kInvalidArgument);
}
