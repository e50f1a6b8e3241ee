// Lengths of the instructions an SNP host intercepts and must step over
// itself: TCG's SVM saves no next RIP and no instruction bytes
// (QEMU-FACTS "AMD SVM under TCG"), so the emulated host decodes them from
// guest memory. Encodings: AMD APM vol. 3 (CPUID 0F A2, RDMSR 0F 32, WRMSR
// 0F 30, RDTSC 0F 31, RDTSCP 0F 01 F9, HLT F4, VMMCALL 0F 01 D9), the GHCB
// spec 56421 2.3.1 (VMGEXIT = REP VMMCALL, F3 0F 01 D9), APM vol. 3 for
// PVALIDATE (F2 0F 01 FF), RMPADJUST (F3 0F 01 FE), RMPQUERY (F3 0F 01 FD).
// The bytes come from the guest: anything else is "not one of these".
#pragma once

#include <span>

#include "warden/result.hpp"

namespace warden::svm {

enum class Insn : uint8_t {
    kCpuid,
    kRdmsr,
    kWrmsr,
    kRdtsc,
    kRdtscp,
    kHlt,
    kVmmcall,
    kVmgexit,
    kPvalidate,
    kRmpadjust,
    kRmpquery,
};

const char* insn_name(Insn i);

struct Decoded {
    Insn insn;
    uint8_t length;  // prefixes included, at most 15
};

inline constexpr size_t kMaxInsnLength = 15;  // APM vol. 3 1.1

// bytes: what the guest has at RIP (fewer than 15 where its mapping ends).
// Legacy prefixes (operand/address size, segment, REP/REPNE) and one REX
// directly before the opcode are skipped and counted; the last of F2/F3 is
// the mandatory prefix that tells PVALIDATE, RMPADJUST and VMGEXIT apart.
// kTruncated: the bytes end inside the instruction; kOutOfRange: longer
// than 15 bytes; kUnsupported: not one of the instructions above, or with
// LOCK (which makes them #UD).
Result<Decoded> decode_intercepted(std::span<const uint8_t> bytes);

}  // namespace warden::svm
