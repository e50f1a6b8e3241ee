// Decoding the port-IO instructions a #VC interrupts (IN, OUT, INS, OUTS
// with 66/F3 prefixes; SDM Vol. 2) and building the IOIO exit_info_1 the GHCB
// expects (SPEC-FACTS.md 5). The bytes are the kernel's own code, but the
// decoder still refuses anything it does not fully understand.
#pragma once

#include <span>

#include "warden/result.hpp"

namespace warden::sev {

struct IoInstruction {
    uint16_t port = 0;
    uint8_t size = 1;  // bytes: 1, 2 or 4
    bool in = false;
    bool string = false;
    bool rep = false;
    uint8_t length = 0;  // instruction bytes, to advance RIP
};

// insn: bytes at RIP (up to 15); dx: the DX register (port of the DX forms).
// kUnsupported for any other instruction or prefix; kTruncated if it runs
// past the bytes given.
Result<IoInstruction> decode_io(std::span<const uint8_t> insn, uint16_t dx);

// exit_info_1 for VMGEXIT(IOIO): type, string, rep, operand size, 64-bit
// address size, port.
uint64_t ioio_exit_info(const IoInstruction& io);

// PVALIDATE and RMPADJUST report in EAX and CF (SPEC-FACTS.md 2).
enum class Validation : uint8_t { kChanged, kUnchanged };
inline constexpr uint32_t kFailInput = 1, kFailPermission = 2, kFailSizeMismatch = 6;
// kInvalidArgument (FAIL_INPUT), kDenied (FAIL_PERMISSION), kMisaligned
// (FAIL_SIZEMISMATCH: retry as 4 KiB pages), kUnsupported (anything else).
Result<Validation> pvalidate_outcome(uint32_t eax, bool carry);
Result<void> rmpadjust_outcome(uint32_t eax);

// RMPADJUST's RDX (AMD APM vol. 3, RMPADJUST; Linux RMPADJUST_VMPL_SHIFT 0,
// RMPADJUST_PERM_MASK_SHIFT 8, RMPADJUST_VMSA_PAGE_BIT 16): bits 7:0 the
// target VMPL, bits 15:8 its permission mask (bit 0 read, 1 write, 2
// execute-user, 3 execute-supervisor), bit 16 the VMSA attribute.
// SPEC-FACTS.md 2 has the two bytes the other way round.
inline constexpr uint8_t kRmpRead = 1, kRmpWrite = 2, kRmpExecUser = 4, kRmpExecSupervisor = 8;
constexpr uint64_t rmpadjust_attributes(uint8_t target_vmpl, uint8_t permissions, bool vmsa) {
    return uint64_t{target_vmpl} | (uint64_t{permissions} << 8) | (vmsa ? uint64_t{1} << 16 : 0);
}

}  // namespace warden::sev
