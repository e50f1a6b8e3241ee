// The guest's MTRRs (mtrr.hpp).
#include "warden/svm/mtrr.hpp"

#include <cstddef>

namespace warden::svm {
namespace {

// UC, WC, WT, WP, WB (SDM vol. 3A table 12-8); 2, 3 and 7 and up are reserved.
bool valid_type(uint64_t t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }

// The slot of a fixed-range MSR in Mtrrs::fixed, or -1.
int fixed_slot(uint32_t msr) {
    if (msr == 0x250) return 0;
    if (msr == 0x258 || msr == 0x259) return static_cast<int>(msr - 0x258) + 1;
    if (msr >= 0x268 && msr <= 0x26f) return static_cast<int>(msr - 0x268) + 3;
    return -1;
}

bool valid_write(uint32_t msr, uint64_t v, unsigned phys_bits) {
    if (msr == kMsrMtrrDefType) return (v & ~uint64_t{0xcff}) == 0 && valid_type(v & 0xff);  // type, FE 10, E 11
    if (fixed_slot(msr) >= 0) {
        for (int i = 0; i < 8; ++i) {
            if (!valid_type((v >> (8 * i)) & 0xff)) return false;
        }
        return true;
    }
    const uint64_t above = phys_bits >= 64 ? 0 : ~uint64_t{0} << phys_bits;
    if ((msr & 1) == 0) return (v & (above | 0xf00)) == 0 && valid_type(v & 0xff);  // PhysBase
    return (v & (above | 0x7ff)) == 0;                                              // PhysMask: valid is bit 11
}

}  // namespace

MtrrAccess mtrr_access(Mtrrs& m, uint32_t msr, bool write, uint64_t& value, unsigned phys_bits) {
    uint64_t* slot = nullptr;
    if (msr == kMsrMtrrCap) {
        if (write) return MtrrAccess::kGp;
        value = kMtrrCap;
        return MtrrAccess::kDone;
    }
    if (msr == kMsrMtrrDefType) slot = &m.def_type;
    if (const int f = fixed_slot(msr); f >= 0) slot = &m.fixed[static_cast<size_t>(f)];
    if (msr >= 0x200 && msr < 0x200 + 2 * kVariableMtrrs) slot = &m.var[msr - 0x200];
    if (slot == nullptr) return MtrrAccess::kNotMtrr;
    if (!write) {
        value = *slot;
        return MtrrAccess::kDone;
    }
    if (!valid_write(msr, value, phys_bits)) return MtrrAccess::kGp;
    *slot = value;
    return MtrrAccess::kDone;
}

}  // namespace warden::svm
