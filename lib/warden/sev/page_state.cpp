// Validation with size-mismatch fallback, and batched page-state changes.
#include "warden/sev/page_state.hpp"

namespace warden::sev {

Result<ValidationCount> validate_range(Validator& v, PhysRange range, bool valid) {
    if (!range.base.is_aligned(kPageSize) || !is_aligned(range.size, kPageSize)) return Fail(Error::kMisaligned);
    ValidationCount count;
    auto note = [&](Validation r, bool huge) {
        if (r == Validation::kUnchanged)
            ++count.unchanged;
        else if (huge)
            ++count.changed_2m;
        else
            ++count.changed_4k;
    };
    PhysAddr at = range.base;
    const PhysAddr end = range.end();
    while (at < end) {
        if (at.is_aligned(kLargePageSize) && end - at >= kLargePageSize) {
            auto r = v.pvalidate(at, true, valid);
            if (r) {
                note(*r, true);
                at += kLargePageSize;
                continue;
            }
            if (r.error() != Error::kMisaligned) return Fail(r.error());
            for (uint64_t i = 0; i < kLargePageSize / kPageSize; ++i) {  // the RMP has 4 KiB entries here
                WARDEN_TRY(small, v.pvalidate(at + i * kPageSize, false, valid));
                note(small, false);
            }
            at += kLargePageSize;
            continue;
        }
        WARDEN_TRY(r, v.pvalidate(at, false, valid));
        note(r, false);
        at += kPageSize;
    }
    return count;
}

uint64_t encode_psc_entry(const PscRequest& r) {
    return (r.gfn & bit_mask(0, 40)) << 12 | uint64_t{static_cast<uint8_t>(r.op)} << 52 | (r.huge ? bit(56) : 0);
}

namespace {
uint16_t load16(std::span<const uint8_t> b, size_t at) { return static_cast<uint16_t>(b[at] | (b[at + 1] << 8)); }
void store16(std::span<uint8_t> b, size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v);
    b[at + 1] = static_cast<uint8_t>(v >> 8);
}
}  // namespace

Result<void> change_page_state(Hypervisor& hv, Ghcb& ghcb, uint64_t ghcb_gpa, std::span<const PscRequest> requests) {
    size_t next = 0;
    while (next < requests.size()) {
        const size_t n = requests.size() - next < kPscMaxEntries ? requests.size() - next : kPscMaxEntries;
        std::span<uint8_t> buf = ghcb.shared_buffer();
        store16(buf, 0, 0);                             // cur_entry
        store16(buf, 2, static_cast<uint16_t>(n - 1));  // end_entry (inclusive)
        for (size_t i = 0; i < 4; ++i) buf[4 + i] = 0;
        for (size_t i = 0; i < n; ++i) {
            const uint64_t e = encode_psc_entry(requests[next + i]);
            for (size_t b = 0; b < 8; ++b) buf[kPscHeaderSize + i * 8 + b] = static_cast<uint8_t>(e >> (8 * b));
        }
        uint16_t done = 0;
        while (done <= n - 1) {
            ghcb.begin();
            ghcb.set_exit(exit::kPageStateChange, 0, 0);
            ghcb.set(GhcbField::kSwScratch, ghcb_gpa + kGhcbSharedBuffer);
            WARDEN_TRY_VOID(hv.vmgexit(ghcb));
            WARDEN_TRY_VOID(ghcb.check_result());
            // The header is the hypervisor's now: read it, trust nothing.
            const uint16_t cur = load16(buf, 0), end = load16(buf, 2);
            if (end != n - 1 || cur > n) return Fail(Error::kInvalidArgument);
            if (cur <= done && cur != n) return Fail(Error::kBusy);  // no progress
            done = cur;
            if (cur == n) break;
        }
        next += n;
    }
    return {};
}

}  // namespace warden::sev
