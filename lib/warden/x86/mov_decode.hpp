// Decoding the MOV forms that touch memory-mapped IO, for a #VC on MMIO
// (GHCB spec 56421 4.1.5: the guest must decode the instruction itself).
// Supported: MOV r/m8,r8 (88), MOV r/m,r (89), MOV r8,r/m8 (8A), MOV r,r/m
// (8B), MOV r/m8,imm8 (C6 /0), MOV r/m,imm (C7 /0), MOVZX r,r/m8 (0F B6),
// MOVZX r,r/m16 (0F B7); prefixes 66, REX, and the null segment overrides
// (26 2E 36 3E). The operand must be memory: ModRM with SIB, disp8/disp32 and
// RIP-relative addressing. The bytes come from the interrupted code and are
// untrusted: anything else is kUnsupported, fewer bytes than the form needs
// kTruncated.
#pragma once

#include <span>

#include "warden/result.hpp"
#include "warden/x86/regs.hpp"

namespace warden::x86 {

struct MmioAccess {
    enum class Kind : uint8_t { kLoad, kStore, kStoreImmediate };
    Kind kind = Kind::kLoad;
    uint8_t size = 0;          // bytes moved to or from memory: 1, 2, 4, 8
    uint8_t reg = 0;           // register operand (ModRM.reg + REX.R)
    bool high_byte = false;    // AH/CH/DH/BH (8-bit form without REX)
    uint8_t dest_size = 0;     // loads: register width written (MOVZX widens)
    bool zero_extend = false;  // loads: MOVZX
    uint64_t immediate = 0;    // kStoreImmediate, sign-extended to size
    uint64_t address = 0;      // effective (virtual) address
    uint8_t length = 0;        // instruction bytes
};

Result<MmioAccess> decode_mmio(std::span<const uint8_t> insn, const Registers& regs);

// The register value a store writes (size bytes), or the register after a
// load of `value`: 32-bit destinations zero-extend to 64 bits, 8/16-bit ones
// keep the other bits (AMD APM vol. 1, 3.1.2.3).
uint64_t store_value(const MmioAccess& a, const Registers& regs);
void apply_load(const MmioAccess& a, Registers& regs, uint64_t value);

}  // namespace warden::x86
