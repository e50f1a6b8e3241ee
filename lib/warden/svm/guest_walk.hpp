// A guest's 4-level page walk as the emulated SNP host does it to read the
// instruction at RIP, the IDT, the TSS and the stack (AMD APM vol. 2 5.3,
// long-mode 4 KiB/2 MiB/1 GiB pages). The table entries come from guest
// memory: each is read through the caller's interface, which refuses GPAs
// outside guest memory. The C-bit of each entry is not an address bit: it is
// stripped from table addresses and reported for the leaf (private mapping).
#pragma once

#include "warden/result.hpp"

namespace warden::svm {

class GuestPhysReader {
public:
    // false when [gpa, gpa + 8) is not guest memory.
    virtual bool read_u64(uint64_t gpa, uint64_t& out) = 0;

protected:
    ~GuestPhysReader() = default;
};

struct GuestTranslation {
    uint64_t gpa = 0;        // of the byte translated, C-bit stripped
    bool writable = false;   // every level has RW
    bool encrypted = false;  // the leaf has the C-bit: a private mapping
    uint64_t page_bytes = 0;
};

// kInvalidArgument: gva not canonical; kNotMapped: an entry not present;
// kDenied: write to a read-only mapping (CR0.WP=1 for CPL 0, as Warden runs);
// kOutOfRange: a table outside guest memory.
Result<GuestTranslation> walk(GuestPhysReader& mem, uint64_t cr3, uint64_t c_bit_mask, uint64_t gva, bool write);

}  // namespace warden::svm
