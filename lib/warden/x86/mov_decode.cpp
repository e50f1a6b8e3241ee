// MOV-to/from-memory decoding for MMIO #VC (AMD APM vol. 3, chapter 1:
// legacy prefixes, REX, ModRM, SIB, displacement, immediate).
#include "warden/x86/mov_decode.hpp"

namespace warden::x86 {
namespace {

constexpr size_t kMaxLength = 15;

class Cursor {
public:
    explicit Cursor(std::span<const uint8_t> b) : b_(b.size() > kMaxLength ? b.first(kMaxLength) : b) {}
    Result<uint8_t> byte() {
        if (at_ >= b_.size()) return Fail(Error::kTruncated);
        return b_[at_++];
    }
    Result<uint64_t> signed_le(unsigned n) {  // n = 1, 2 or 4, sign-extended to 64 bits
        uint64_t v = 0;
        for (unsigned i = 0; i < n; ++i) {
            WARDEN_TRY(x, byte());
            v |= uint64_t{x} << (8 * i);
        }
        const unsigned bits = 8 * n;
        if (v & (uint64_t{1} << (bits - 1))) v |= ~uint64_t{0} << bits;
        return v;
    }
    size_t at() const { return at_; }

private:
    std::span<const uint8_t> b_;
    size_t at_ = 0;
};

uint64_t mask(unsigned size) { return size == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1; }

}  // namespace

Result<MmioAccess> decode_mmio(std::span<const uint8_t> insn, const Registers& regs) {
    Cursor c(insn);
    bool opsize16 = false;
    uint8_t rex = 0;
    uint8_t op = 0;
    for (;;) {
        WARDEN_TRY(b, c.byte());
        if (b == 0x66) {
            opsize16 = true;
        } else if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e) {
            // null segment overrides in 64-bit mode
        } else if ((b & 0xf0) == 0x40) {
            WARDEN_TRY(next, c.byte());  // REX must come right before the opcode
            rex = b;
            op = next;
            break;
        } else {
            op = b;
            break;
        }
    }
    const bool rex_w = rex & 8, rex_r = rex & 4, rex_x = rex & 2, rex_b = rex & 1;
    const uint8_t full_size = rex_w ? 8 : opsize16 ? 2 : 4;

    MmioAccess a;
    bool byte_form = false, has_immediate = false;
    switch (op) {
    case 0x88:
        a.kind = MmioAccess::Kind::kStore;
        byte_form = true;
        break;
    case 0x89: a.kind = MmioAccess::Kind::kStore; break;
    case 0x8a:
        a.kind = MmioAccess::Kind::kLoad;
        byte_form = true;
        break;
    case 0x8b: a.kind = MmioAccess::Kind::kLoad; break;
    case 0xc6:
        a.kind = MmioAccess::Kind::kStoreImmediate;
        byte_form = true;
        has_immediate = true;
        break;
    case 0xc7:
        a.kind = MmioAccess::Kind::kStoreImmediate;
        has_immediate = true;
        break;
    case 0x0f: {
        WARDEN_TRY(op2, c.byte());
        if (op2 != 0xb6 && op2 != 0xb7) return Fail(Error::kUnsupported);
        a.kind = MmioAccess::Kind::kLoad;
        a.zero_extend = true;
        a.size = op2 == 0xb6 ? 1 : 2;
        a.dest_size = full_size;
        break;
    }
    default: return Fail(Error::kUnsupported);
    }
    if (!a.zero_extend) {
        a.size = byte_form ? 1 : full_size;
        a.dest_size = a.size;
    }

    WARDEN_TRY(modrm, c.byte());
    const unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    if (mod == 3) return Fail(Error::kUnsupported);  // a register operand: not a memory access
    if (has_immediate && reg != 0) return Fail(Error::kUnsupported);
    a.reg = static_cast<uint8_t>(reg | (rex_r ? 8 : 0));
    // Without REX, 8-bit registers 4..7 are AH, CH, DH, BH.
    if (a.size == 1 && !a.zero_extend && rex == 0 && reg >= 4) {
        a.high_byte = true;
        a.reg = static_cast<uint8_t>(reg - 4);
    }

    uint64_t address = 0;
    bool rip_relative = false;
    if (rm == 4) {
        WARDEN_TRY(sib, c.byte());
        const unsigned scale = sib >> 6, index = ((sib >> 3) & 7) | (rex_x ? 8 : 0), base = sib & 7;
        if (index != 4) address += regs.gpr(index) << scale;  // index 4 (RSP) means none
        if (base == 5 && mod == 0) {
            WARDEN_TRY(disp, c.signed_le(4));
            address += disp;
        } else {
            address += regs.gpr(base | (rex_b ? 8 : 0));
        }
    } else if (rm == 5 && mod == 0) {
        rip_relative = true;
        WARDEN_TRY(disp, c.signed_le(4));
        address = disp;
    } else {
        address = regs.gpr(rm | (rex_b ? 8 : 0));
    }
    if (mod == 1) {
        WARDEN_TRY(disp, c.signed_le(1));
        address += disp;
    } else if (mod == 2) {
        WARDEN_TRY(disp, c.signed_le(4));
        address += disp;
    }
    if (has_immediate) {
        WARDEN_TRY(imm, c.signed_le(a.size == 8 ? 4 : a.size));  // imm32 sign-extended for 64-bit stores
        a.immediate = imm & mask(a.size);
    }
    a.length = static_cast<uint8_t>(c.at());
    if (rip_relative) address += regs.rip + a.length;  // relative to the next instruction
    a.address = address;
    return a;
}

uint64_t store_value(const MmioAccess& a, const Registers& regs) {
    if (a.kind == MmioAccess::Kind::kStoreImmediate) return a.immediate;
    const uint64_t r = regs.gpr(a.reg);
    return (a.high_byte ? r >> 8 : r) & mask(a.size);
}

void apply_load(const MmioAccess& a, Registers& regs, uint64_t value) {
    uint64_t& r = regs.gpr(a.reg);
    value &= mask(a.size);
    if (a.high_byte) {
        r = (r & ~uint64_t{0xff00}) | (value << 8);
    } else if (a.dest_size >= 4) {
        r = value;  // 32-bit writes zero-extend; MOVZX zero-extends into a 32/64-bit destination
    } else {
        r = (r & ~mask(a.dest_size)) | value;
    }
}

}  // namespace warden::x86
