#include <doctest/doctest.h>

#include <vector>

#include "warden/sev/ioio.hpp"

using namespace warden;
using namespace warden::sev;

namespace {
IoInstruction io(std::vector<uint8_t> bytes, uint16_t dx = 0x3f8) {
    auto r = decode_io(bytes, dx);
    REQUIRE(r.ok());
    return *r;
}
}  // namespace

TEST_CASE("ioio: IN and OUT forms decode with port, size, direction and length") {
    IoInstruction a = io({0xec});  // in al, dx
    CHECK((a.port == 0x3f8 && a.size == 1 && a.in && !a.string && a.length == 1));
    a = io({0xe4, 0x61});  // in al, 0x61
    CHECK((a.port == 0x61 && a.size == 1 && a.in && a.length == 2));
    a = io({0xef});  // out dx, eax
    CHECK((a.size == 4 && !a.in));
    a = io({0x66, 0xef});  // out dx, ax
    CHECK((a.size == 2 && a.length == 2));
    a = io({0xe7, 0xf4});  // out 0xf4, eax (isa-debug-exit)
    CHECK((a.port == 0xf4 && a.size == 4 && !a.in));
    a = io({0xf3, 0x6e});  // rep outsb
    CHECK((a.string && a.rep && a.size == 1 && !a.in && a.length == 2));
    a = io({0xf3, 0x66, 0x6d});  // rep insw
    CHECK((a.string && a.rep && a.size == 2 && a.in && a.length == 3));
}

TEST_CASE("ioio: anything else is refused") {
    CHECK(decode_io(std::vector<uint8_t>{0x90}, 0).error() == Error::kUnsupported);        // nop
    CHECK(decode_io(std::vector<uint8_t>{0x0f, 0xa2}, 0).error() == Error::kUnsupported);  // cpuid
    CHECK(decode_io(std::vector<uint8_t>{0xf3, 0xec}, 0).error() == Error::kUnsupported);  // rep on a non-string
    CHECK(decode_io(std::vector<uint8_t>{0xe4}, 0).error() == Error::kTruncated);          // imm8 missing
    CHECK(decode_io(std::vector<uint8_t>{0x66, 0x66}, 0).error() == Error::kTruncated);
    CHECK(decode_io(std::vector<uint8_t>{}, 0).error() == Error::kTruncated);
    CHECK(decode_io(std::vector<uint8_t>{0x66, 0x66, 0x66, 0x66, 0xec}, 0).ok());  // redundant prefixes are legal
    CHECK(decode_io(std::vector<uint8_t>{0x66, 0x66, 0x66, 0x66, 0x66, 0xec}, 0).error() == Error::kUnsupported);
}

TEST_CASE("ioio: exit_info_1 follows the GHCB layout (SPEC-FACTS 5)") {
    CHECK(ioio_exit_info(io({0xec})) == ((0x3f8ull << 16) | (1u << 9) | (1u << 4) | 1));
    CHECK(ioio_exit_info(io({0xe7, 0xf4})) == ((0xf4ull << 16) | (1u << 9) | (1u << 6)));
    CHECK(ioio_exit_info(io({0xf3, 0x66, 0x6d}, 0x1f0)) ==
          ((0x1f0ull << 16) | (1u << 9) | (1u << 5) | (1u << 3) | (1u << 2) | 1));
}

TEST_CASE("ioio: PVALIDATE and RMPADJUST outcomes, CF included") {
    CHECK(*pvalidate_outcome(0, false) == Validation::kChanged);
    CHECK(*pvalidate_outcome(0, true) == Validation::kUnchanged);
    CHECK(pvalidate_outcome(1, false).error() == Error::kInvalidArgument);
    CHECK(pvalidate_outcome(6, false).error() == Error::kMisaligned);
    CHECK(pvalidate_outcome(3, false).error() == Error::kUnsupported);
    CHECK(rmpadjust_outcome(0).ok());
    CHECK(rmpadjust_outcome(2).error() == Error::kDenied);
    CHECK(rmpadjust_outcome(6).error() == Error::kMisaligned);
}

TEST_CASE("rmpadjust: the target VMPL is the low byte, the permissions the next, VMSA bit 16") {
    // Linux snp_set_vmsa() marks a VMSA page with attrs = 1 (VMPL1) | BIT(16).
    CHECK(rmpadjust_attributes(1, 0, true) == 0x10001);
    CHECK(rmpadjust_attributes(2, kRmpRead | kRmpWrite | kRmpExecUser | kRmpExecSupervisor, false) == 0x0f02);
    CHECK(rmpadjust_attributes(3, kRmpRead, false) == 0x0103);
}
