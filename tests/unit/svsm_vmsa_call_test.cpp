#include <doctest/doctest.h>

#include <array>

#include "warden/svsm/vmsa_call.hpp"

using namespace warden;
using namespace warden::svsm;

namespace {

std::array<uint8_t, 4096> page_with(uint8_t fill) {
    std::array<uint8_t, 4096> p{};
    p.fill(fill);
    return p;
}

void put(std::array<uint8_t, 4096>& p, size_t offset, uint64_t v) {
    for (size_t i = 0; i < 8; ++i) p[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

TEST_CASE("vmsa call: the offsets are the VMSA's (SPEC-FACTS 6)") {
    CHECK(kVmsaRaxOffset == 0x1f8);
    CHECK(kVmsaRcxOffset == 0x308);
    CHECK(kVmsaRdxOffset == 0x310);
    CHECK(kVmsaR8Offset == 0x340);
    CHECK(kVmsaR9Offset == 0x348);
    CHECK(kVmsaEferOffset == 0x0d0);
    CHECK(kVmsaEferSvme == 0x1000);
    CHECK(kVmsaGuestExitCodeOffset == 0x3c0);
    CHECK(kExitVmgexit == 0x403);
    CHECK(kVmsaCallBytes == 0x3c8);
}

TEST_CASE("vmsa call: RAX, RCX, RDX, R8 and R9 are the call, little endian") {
    auto p = page_with(0xcc);
    put(p, 0x1f8, call_rax(kProtocolCore, 6));
    put(p, 0x308, 0x0000000100000001);
    put(p, 0x310, 0x1122334455667788);
    put(p, 0x340, 0xffffffffffffffff);
    put(p, 0x348, 0);
    put(p, 0x3c0, 0x403);
    auto e = decode_exit(p);
    REQUIRE(e.ok());
    const CallRegs& c = e->regs;
    CHECK(c.rax == 0x6);
    CHECK(c.rcx == 0x0000000100000001);
    CHECK(c.rdx == 0x1122334455667788);
    CHECK(c.r8 == 0xffffffffffffffff);
    CHECK(c.r9 == 0);
    CHECK(e->exit_code == 0x403);
}

TEST_CASE("vmsa call: only a VMGEXIT is the guest's request") {
    auto p = page_with(0);
    const struct {
        uint64_t code;
        bool request;
    } cases[] = {
        {0x403, true},
        {0x060, false},                  // INTR: a physical interrupt took the vCPU to VMPL0
        {0x078, false},                  // HLT
        {0x081, false},                  // VMMCALL (not VMGEXIT's code)
        {0x400, false},                  // NPF
        {0, false},                      // a page never exited from (the guest's own bytes)
        {0x0000000100000403, false},     // the whole 64 bits are the code
        {0xffffffffffffffff, false},     // VMEXIT_INVALID
    };
    for (const auto& k : cases) {
        put(p, 0x3c0, k.code);
        auto e = decode_exit(p);
        REQUIRE(e.ok());
        CHECK(e->exit_code == k.code);
        CHECK_MESSAGE(is_request(e->exit_code) == k.request, "exit code ", k.code);
    }
}

TEST_CASE("vmsa call: a copy too short for the exit code is refused") {
    const auto p = page_with(0);
    CHECK(decode_exit(std::span(p).first(kVmsaCallBytes)).ok());
    CHECK(decode_exit(std::span(p).first(kVmsaCallBytes - 1)).error() == Error::kOutOfRange);
    CHECK(decode_exit(std::span(p).first(0x350)).error() == Error::kOutOfRange);  // R9's end, not the code's
    CHECK(decode_exit({}).error() == Error::kOutOfRange);
}

TEST_CASE("vmsa call: results change those five registers and no other byte") {
    auto p = page_with(0x5a);
    const auto before = p;
    const CallRegs r{.rax = kErrInvalidParameter, .rcx = 1, .rdx = 2, .r8 = 3, .r9 = 4};
    REQUIRE(store_results(p, r).ok());
    auto back = decode_exit(p);
    REQUIRE(back.ok());
    CHECK(back->regs.rax == kErrInvalidParameter);
    CHECK((back->regs.rcx == 1 && back->regs.rdx == 2 && back->regs.r8 == 3 && back->regs.r9 == 4));
    size_t changed = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        const bool in_reg = (i >= 0x1f8 && i < 0x200) || (i >= 0x308 && i < 0x318) || (i >= 0x340 && i < 0x350);
        if (p[i] != before[i]) {
            ++changed;
            CHECK(in_reg);
        }
    }
    CHECK(changed == 40);  // every byte of the five, none 0x5a any more
}

TEST_CASE("vmsa call: a short page gets no results, nothing written") {
    auto p = page_with(0x77);
    const auto before = p;
    CHECK(store_results(std::span(p).first(kVmsaCallBytes - 1), CallRegs{}).error() == Error::kOutOfRange);
    CHECK(set_runnable(std::span(p).first(kVmsaCallBytes - 1), false).error() == Error::kOutOfRange);
    CHECK(p == before);
}

TEST_CASE("vmsa call: runnable is EFER.SVME, and only that bit") {
    auto p = page_with(0);
    put(p, 0xd0, 0x1d01);  // LME, LMA, NXE, SCE, SVME
    REQUIRE(set_runnable(p, false).ok());
    CHECK(p[0xd0] == 0x01);
    CHECK(p[0xd1] == 0x0d);
    REQUIRE(set_runnable(p, false).ok());  // twice: the same
    CHECK(p[0xd1] == 0x0d);
    REQUIRE(set_runnable(p, true).ok());
    CHECK(p[0xd1] == 0x1d);
    CHECK(p[0xd0] == 0x01);
}

TEST_CASE("vmsa call: XCR0 as XSETBV takes it") {
    constexpr uint64_t kAll = 0xe7;  // x87, SSE, AVX, AVX-512
    auto p = page_with(0);
    const struct {
        uint64_t xcr0, supported;
        bool ok;
    } cases[] = {
        {1, kAll, true},     {3, kAll, true},
        {7, kAll, true},     {0xe7, kAll, true},
        {0, kAll, false},    {2, kAll, false},
        {5, kAll, false},                                    // AVX without SSE
        {0x27, kAll, false}, {0xe3, kAll, false},            // AVX-512 partial, AVX-512 without AVX
        {7, 3, false},       {1ull << 62 | 1, kAll, false},  // components the CPU lacks
    };
    for (const auto& c : cases) {
        put(p, kVmsaXcr0Offset, c.xcr0);
        CHECK_MESSAGE(vmsa_xcr0_valid(p, c.supported) == c.ok, "xcr0 ", c.xcr0);
    }
    put(p, kVmsaXcr0Offset, 1);
    CHECK_FALSE(vmsa_xcr0_valid(std::span(p).first(kVmsaXcr0Offset + 7), kAll));
    CHECK(kVmsaXcr0Offset == 0x3e8);
}
