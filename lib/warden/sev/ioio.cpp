// Port-IO instruction decoding for #VC, and PVALIDATE/RMPADJUST outcomes.
#include "warden/sev/ioio.hpp"

namespace warden::sev {

Result<IoInstruction> decode_io(std::span<const uint8_t> insn, uint16_t dx) {
    IoInstruction io;
    bool operand16 = false;
    size_t i = 0;
    for (; i < insn.size() && i < 4; ++i) {  // prefixes: 66 (16-bit), F3 (rep)
        if (insn[i] == 0x66)
            operand16 = true;
        else if (insn[i] == 0xf3)
            io.rep = true;
        else
            break;
    }
    if (i >= insn.size()) return Fail(Error::kTruncated);
    const uint8_t op = insn[i++];
    const uint8_t wide = operand16 ? 2 : 4;
    switch (op) {
    case 0xe4:
    case 0xe5:
    case 0xe6:
    case 0xe7:  // IN/OUT with imm8 port
        if (i >= insn.size()) return Fail(Error::kTruncated);
        io.port = insn[i++];
        io.in = op < 0xe6;
        io.size = (op & 1) ? wide : 1;
        break;
    case 0xec:
    case 0xed:
    case 0xee:
    case 0xef:  // IN/OUT with the port in DX
        io.port = dx;
        io.in = op < 0xee;
        io.size = (op & 1) ? wide : 1;
        break;
    case 0x6c:
    case 0x6d:
    case 0x6e:
    case 0x6f:  // INS/OUTS
        io.port = dx;
        io.in = op < 0x6e;
        io.string = true;
        io.size = (op & 1) ? wide : 1;
        break;
    default: return Fail(Error::kUnsupported);
    }
    if (io.rep && !io.string) return Fail(Error::kUnsupported);
    io.length = static_cast<uint8_t>(i);
    return io;
}

uint64_t ioio_exit_info(const IoInstruction& io) {
    uint64_t info = uint64_t{io.port} << 16;
    if (io.in) info |= 1u << 0;
    if (io.string) info |= 1u << 2;
    if (io.rep) info |= 1u << 3;
    info |= io.size == 1 ? 1u << 4 : io.size == 2 ? 1u << 5 : 1u << 6;
    info |= 1u << 9;  // 64-bit address size
    return info;
}

Result<Validation> pvalidate_outcome(uint32_t eax, bool carry) {
    switch (eax) {
    case 0: return carry ? Validation::kUnchanged : Validation::kChanged;
    case kFailInput: return Fail(Error::kInvalidArgument);
    case kFailSizeMismatch: return Fail(Error::kMisaligned);
    default: return Fail(Error::kUnsupported);
    }
}

Result<void> rmpadjust_outcome(uint32_t eax) {
    switch (eax) {
    case 0: return {};
    case kFailInput: return Fail(Error::kInvalidArgument);
    case kFailPermission: return Fail(Error::kDenied);
    case kFailSizeMismatch: return Fail(Error::kMisaligned);
    default: return Fail(Error::kUnsupported);
    }
}

}  // namespace warden::sev
