#include <doctest/doctest.h>

#include <vector>

#include "warden/x86/mov_decode.hpp"

using namespace warden;
using namespace warden::x86;

namespace {
Result<MmioAccess> decode(std::vector<uint8_t> bytes, const Registers& r = {}) { return decode_mmio(bytes, r); }
}  // namespace

TEST_CASE("mov_decode: the register forms, their sizes and registers") {
    Registers r{.rbx = 0x1000, .rsi = 0x2000};
    auto a = decode({0x8b, 0x03}, r);  // mov eax, [rbx]
    REQUIRE(a.ok());
    CHECK(a->kind == MmioAccess::Kind::kLoad);
    CHECK((a->size == 4 && a->reg == 0 && a->address == 0x1000 && a->length == 2));
    a = decode({0x48, 0x89, 0x0e}, r);  // mov [rsi], rcx
    REQUIRE(a.ok());
    CHECK((a->kind == MmioAccess::Kind::kStore && a->size == 8 && a->reg == 1 && a->address == 0x2000));
    a = decode({0x66, 0x89, 0x16}, r);  // mov [rsi], dx
    REQUIRE(a.ok());
    CHECK((a->size == 2 && a->reg == 2 && a->length == 3));
    a = decode({0x8a, 0x23}, r);  // mov ah, [rbx]
    REQUIRE(a.ok());
    CHECK((a->size == 1 && a->high_byte && a->reg == 0));
    a = decode({0x40, 0x8a, 0x23}, r);  // mov spl, [rbx]: with REX, 4 is SPL
    REQUIRE(a.ok());
    CHECK((!a->high_byte && a->reg == 4));
    a = decode({0x44, 0x8b, 0x03}, r);  // mov r8d, [rbx]
    REQUIRE(a.ok());
    CHECK(a->reg == 8);
}

TEST_CASE("mov_decode: addressing: SIB, displacements, RIP-relative, REX.B/X") {
    Registers r{.rax = 3, .rbx = 0x1000, .rbp = 0x5000, .rsp = 0x7000, .r12 = 0x9000, .r13 = 0xa000, .rip = 0x40};
    CHECK(decode({0x8b, 0x44, 0x83, 0x10}, r)->address == 0x1000 + 3 * 4 + 0x10);  // [rbx+rax*4+0x10]
    CHECK(decode({0x8b, 0x04, 0x24}, r)->address == 0x7000);                       // [rsp]: index 4 = none
    CHECK(decode({0x8b, 0x45, 0xf8}, r)->address == 0x5000 - 8);                   // [rbp-8]: disp8 sign-extended
    CHECK(decode({0x8b, 0x83, 0x00, 0x01, 0x00, 0x00}, r)->address == 0x1100);     // [rbx+0x100]
    CHECK(decode({0x8b, 0x04, 0x25, 0x00, 0x00, 0xe0, 0xfe}, r)->address == 0xfffffffffee00000);  // [disp32]
    auto rel = decode({0x8b, 0x05, 0x10, 0x00, 0x00, 0x00}, r);                                   // [rip+0x10]
    REQUIRE(rel.ok());
    CHECK(rel->address == 0x40 + 6 + 0x10);
    CHECK(decode({0x41, 0x8b, 0x04, 0x24}, r)->address == 0x9000);           // [r12] needs a SIB
    CHECK(decode({0x41, 0x8b, 0x45, 0x00}, r)->address == 0xa000);           // [r13+0]
    CHECK(decode({0x42, 0x8b, 0x04, 0x2b}, r)->address == 0x1000 + 0xa000);  // [rbx+r13]
}

TEST_CASE("mov_decode: immediates and MOVZX") {
    Registers r{.rdi = 0x100};
    auto a = decode({0xc7, 0x07, 0x78, 0x56, 0x34, 0x12}, r);
    REQUIRE(a.ok());
    CHECK((a->kind == MmioAccess::Kind::kStoreImmediate && a->immediate == 0x12345678 && a->length == 6));
    a = decode({0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff}, r);  // imm32 sign-extended to 64
    REQUIRE(a.ok());
    CHECK((a->size == 8 && a->immediate == ~uint64_t{0}));
    a = decode({0x66, 0xc7, 0x07, 0x34, 0x12}, r);
    REQUIRE(a.ok());
    CHECK((a->size == 2 && a->immediate == 0x1234 && a->length == 5));
    a = decode({0xc6, 0x07, 0x80}, r);
    REQUIRE(a.ok());
    CHECK((a->size == 1 && a->immediate == 0x80));
    a = decode({0x0f, 0xb6, 0x07}, r);  // movzx eax, byte [rdi]
    REQUIRE(a.ok());
    CHECK((a->zero_extend && a->size == 1 && a->dest_size == 4 && a->length == 3));
    a = decode({0x48, 0x0f, 0xb7, 0x0f}, r);  // movzx rcx, word [rdi]
    REQUIRE(a.ok());
    CHECK((a->size == 2 && a->dest_size == 8 && a->reg == 1));
}

TEST_CASE("mov_decode: results written back with the widths of the architecture") {
    Registers r{.rax = 0xffffffffffffffff};
    MmioAccess load32{.kind = MmioAccess::Kind::kLoad, .size = 4, .reg = 0, .dest_size = 4};
    apply_load(load32, r, 0x1122334455667788);
    CHECK(r.rax == 0x55667788);
    r.rax = 0xffffffffffffffff;
    MmioAccess load16{.kind = MmioAccess::Kind::kLoad, .size = 2, .reg = 0, .dest_size = 2};
    apply_load(load16, r, 0x1234);
    CHECK(r.rax == 0xffffffffffff1234);
    MmioAccess high{.kind = MmioAccess::Kind::kLoad, .size = 1, .reg = 0, .high_byte = true, .dest_size = 1};
    apply_load(high, r, 0xab);
    CHECK(r.rax == 0xffffffffffffab34);
    CHECK(store_value(high, r) == 0xab);
    MmioAccess movzx{.kind = MmioAccess::Kind::kLoad, .size = 1, .reg = 0, .dest_size = 2, .zero_extend = true};
    apply_load(movzx, r, 0x80);
    CHECK(r.rax == 0xffffffffffff0080);
}

TEST_CASE("mov_decode: malformed, unsupported and truncated instructions are refused") {
    CHECK(decode({}).error() == Error::kTruncated);
    CHECK(decode({0x8b}).error() == Error::kTruncated);                            // no ModRM
    CHECK(decode({0x8b, 0x04}).error() == Error::kTruncated);                      // no SIB
    CHECK(decode({0x8b, 0x80, 0x00}).error() == Error::kTruncated);                // short disp32
    CHECK(decode({0xc7, 0x00, 0x01}).error() == Error::kTruncated);                // short immediate
    CHECK(decode({0x48}).error() == Error::kTruncated);                            // REX alone
    CHECK(decode({0x8b, 0xc0}).error() == Error::kUnsupported);                    // register operand
    CHECK(decode({0xc7, 0x08, 0, 0, 0, 0}).error() == Error::kUnsupported);        // C7 /1 is not MOV
    CHECK(decode({0x64, 0x8b, 0x00}).error() == Error::kUnsupported);              // FS override
    CHECK(decode({0xf0, 0x89, 0x00}).error() == Error::kUnsupported);              // LOCK
    CHECK(decode({0x0f, 0xbe, 0x00}).error() == Error::kUnsupported);              // MOVSX
    CHECK(decode({0xa1, 0, 0, 0, 0, 0, 0, 0, 0}).error() == Error::kUnsupported);  // moffs form
    std::vector<uint8_t> prefixes(15, 0x66);
    prefixes.push_back(0x8b);
    prefixes.push_back(0x00);
    CHECK(decode(prefixes).error() == Error::kTruncated);  // past the 15-byte limit
}
