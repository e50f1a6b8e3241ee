// StandInRmp: validated bits only (rmp_seam.hpp says what it is not).
#include "rmp_seam.hpp"

namespace snp_host {

void StandInRmp::launch_page(uint64_t gpa) {
    if (guest_.contains(gpa, 4096)) put(gpa / 4096, true);
}

PvalidateOutcome StandInRmp::pvalidate(unsigned, uint64_t gpa, bool huge, bool validate) {
    const uint64_t bytes = huge ? 2u << 20 : 4096;
    if ((gpa & (bytes - 1)) != 0 || !guest_.contains(gpa, bytes)) return {kRmpFailInput, false};
    const uint64_t first = gpa / 4096, count = bytes / 4096;
    if (huge) {
        // The launch assigns 4 KiB entries: a 2 MiB PVALIDATE over any page it
        // validated meets 4 KiB entries (FAIL_SIZEMISMATCH, SPEC-FACTS 2).
        for (uint64_t i = 0; i < count; ++i)
            if (get(first + i) != get(first)) return {kRmpFailSizeMismatch, false};
    }
    if (get(first) == validate) return {kRmpSuccess, true};
    for (uint64_t i = 0; i < count; ++i) put(first + i, validate);
    return {kRmpSuccess, false};
}

uint32_t StandInRmp::rmpadjust(unsigned vmpl, uint64_t gpa, bool huge, uint64_t attributes) {
    const uint64_t bytes = huge ? 2u << 20 : 4096;
    const unsigned target = attributes & 0xff;
    if ((gpa & (bytes - 1)) != 0 || !guest_.contains(gpa, bytes) || target <= vmpl || target > 3) return kRmpFailInput;
    // RMPADJUST's VMSA bit (RDX bit 16, SPEC-FACTS 2), on a 4 KiB page only.
    if (!huge) put(vmsa_, gpa / 4096, (attributes >> 16) & 1);
    return kRmpSuccess;
}

bool StandInRmp::is_vmsa(uint64_t gpa) const { return guest_.contains(gpa, 4096) && get(vmsa_, gpa / 4096); }

bool StandInRmp::page_state_change(uint64_t gpa, bool huge, bool) {
    const uint64_t bytes = huge ? 2u << 20 : 4096;
    if ((gpa & (bytes - 1)) != 0 || !guest_.contains(gpa, bytes)) return false;
    // RMPUPDATE leaves the page unvalidated either way.
    for (uint64_t i = 0; i < bytes / 4096; ++i) put(gpa / 4096 + i, false);
    return true;
}

}  // namespace snp_host
