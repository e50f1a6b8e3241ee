// Guest page walk (guest_walk.hpp).
#include "warden/svm/guest_walk.hpp"

namespace warden::svm {

Result<GuestTranslation> walk(GuestPhysReader& mem, uint64_t cr3, uint64_t c_bit_mask, uint64_t gva, bool write) {
    const uint64_t top = gva >> 47;
    if (top != 0 && top != 0x1ffff) return Fail(Error::kInvalidArgument);
    constexpr uint64_t kAddr = 0x000f'ffff'ffff'f000;  // bits 51:12
    constexpr uint64_t kPresent = 1, kWrite = 2, kHuge = 0x80;
    uint64_t table = cr3 & kAddr & ~c_bit_mask;
    bool writable = true;
    for (int level = 4; level >= 1; --level) {
        const unsigned shift = 12 + 9 * (level - 1);
        uint64_t e = 0;
        if (!mem.read_u64(table + ((gva >> shift) & 511) * 8, e)) return Fail(Error::kOutOfRange);
        if (!(e & kPresent)) return Fail(Error::kNotMapped);
        writable = writable && (e & kWrite);
        const bool leaf = level == 1 || ((level == 2 || level == 3) && (e & kHuge));
        if (leaf) {
            if (write && !writable) return Fail(Error::kDenied);
            const uint64_t bytes = uint64_t{1} << shift;
            const uint64_t base = e & kAddr & ~c_bit_mask & ~(bytes - 1);
            return GuestTranslation{base | (gva & (bytes - 1)), writable, (e & c_bit_mask) != 0, bytes};
        }
        table = e & kAddr & ~c_bit_mask;
    }
    return Fail(Error::kNotMapped);
}

}  // namespace warden::svm
