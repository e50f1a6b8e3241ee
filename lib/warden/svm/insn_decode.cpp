// Decoder of the intercepted instructions (insn_decode.hpp).
#include "warden/svm/insn_decode.hpp"

namespace warden::svm {

const char* insn_name(Insn i) {
    switch (i) {
    case Insn::kCpuid: return "CPUID";
    case Insn::kRdmsr: return "RDMSR";
    case Insn::kWrmsr: return "WRMSR";
    case Insn::kRdtsc: return "RDTSC";
    case Insn::kRdtscp: return "RDTSCP";
    case Insn::kHlt: return "HLT";
    case Insn::kVmmcall: return "VMMCALL";
    case Insn::kVmgexit: return "VMGEXIT";
    case Insn::kPvalidate: return "PVALIDATE";
    case Insn::kRmpadjust: return "RMPADJUST";
    case Insn::kRmpquery: return "RMPQUERY";
    }
    return "?";
}

Result<Decoded> decode_intercepted(std::span<const uint8_t> bytes) {
    size_t at = 0;
    uint8_t rep = 0;  // the last F2 or F3
    bool lock = false;
    const auto byte = [&](size_t i) -> int { return i < bytes.size() ? bytes[i] : -1; };
    for (;; ++at) {
        if (at >= kMaxInsnLength) return Fail(Error::kOutOfRange);
        const int b = byte(at);
        if (b < 0) return Fail(Error::kTruncated);
        if (b == 0xf2 || b == 0xf3) {
            rep = static_cast<uint8_t>(b);
        } else if (b == 0xf0) {
            lock = true;
        } else if (b != 0x66 && b != 0x67 && b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e && b != 0x64 &&
                   b != 0x65) {
            break;
        }
    }
    if (byte(at) >= 0x40 && byte(at) <= 0x4f) ++at;  // REX: only directly before the opcode
    const auto done = [&](Insn insn, size_t opcode_bytes) -> Result<Decoded> {
        const size_t length = at + opcode_bytes;
        if (length > kMaxInsnLength) return Fail(Error::kOutOfRange);
        if (length > bytes.size()) return Fail(Error::kTruncated);
        if (lock) return Fail(Error::kUnsupported);
        return Decoded{insn, static_cast<uint8_t>(length)};
    };
    const int b0 = byte(at);
    if (b0 < 0) return Fail(Error::kTruncated);
    if (b0 == 0xf4) return done(Insn::kHlt, 1);
    if (b0 != 0x0f) return Fail(Error::kUnsupported);
    const int b1 = byte(at + 1);
    if (b1 < 0) return Fail(Error::kTruncated);
    switch (b1) {
    case 0xa2: return done(Insn::kCpuid, 2);
    case 0x32: return done(Insn::kRdmsr, 2);
    case 0x30: return done(Insn::kWrmsr, 2);
    case 0x31: return done(Insn::kRdtsc, 2);
    case 0x01: break;
    default: return Fail(Error::kUnsupported);
    }
    const int b2 = byte(at + 2);
    if (b2 < 0) return Fail(Error::kTruncated);
    switch (b2) {
    case 0xd9: return done(rep == 0xf3 ? Insn::kVmgexit : Insn::kVmmcall, 3);
    case 0xf9: return done(Insn::kRdtscp, 3);
    case 0xff:
        if (rep == 0xf2) return done(Insn::kPvalidate, 3);
        break;
    case 0xfe:
        if (rep == 0xf3) return done(Insn::kRmpadjust, 3);
        break;
    case 0xfd:
        if (rep == 0xf3) return done(Insn::kRmpquery, 3);
        break;
    default: break;
    }
    return Fail(Error::kUnsupported);
}

}  // namespace warden::svm
