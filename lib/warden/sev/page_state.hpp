// Memory state changes under SEV-SNP, as algorithms over the operations the
// hardware and hypervisor provide, so that host tests can run them against a
// fake RMP and a fake hypervisor:
//  * validation of a range with PVALIDATE, 2 MiB where possible and 512 x
//    4 KiB where the RMP holds the range as small pages (FAIL_SIZEMISMATCH);
//  * page-state changes batched in the GHCB shared buffer (PSC, GHCB spec
//    4.1.6; SPEC-FACTS.md 5), resumed when the hypervisor stops early.
#pragma once

#include <span>

#include "warden/addr.hpp"
#include "warden/sev/ghcb.hpp"
#include "warden/sev/ghcb_msr.hpp"
#include "warden/sev/ioio.hpp"

namespace warden::sev {

// PVALIDATE one page: what the instruction reported (see pvalidate_outcome).
class Validator {
public:
    virtual Result<Validation> pvalidate(PhysAddr page, bool huge, bool valid) = 0;

protected:
    ~Validator() = default;
};

struct ValidationCount {
    uint64_t changed_4k = 0, changed_2m = 0, unchanged = 0;
};

// Validates (or rescinds) [range.base, range.end): both 4 KiB aligned. Stops
// at the first error other than a size mismatch, which it absorbs by going
// to 4 KiB pages for that 2 MiB.
Result<ValidationCount> validate_range(Validator& v, PhysRange range, bool valid);

// Page-state-change buffer.
inline constexpr size_t kPscHeaderSize = 8;
inline constexpr size_t kPscMaxEntries = 253;  // (2032 - 8) / 8
enum class PscOp : uint8_t { kPrivate = 1, kShared = 2, kPsmash = 3, kUnsmash = 4 };

struct PscRequest {
    uint64_t gfn;
    PscOp op;
    bool huge;  // a 2 MiB entry (gfn 2 MiB aligned)
};

uint64_t encode_psc_entry(const PscRequest& r);

// Sends one VMGEXIT(PSC) whose buffer is the GHCB's shared buffer; returns
// when the hypervisor is back (the fake in the tests, the real thing in the
// kernel). The GHCB fields (exit code, scratch) are already set.
class Hypervisor {
public:
    virtual Result<void> vmgexit(Ghcb& ghcb) = 0;

protected:
    ~Hypervisor() = default;
};

// Changes the state of every request, in batches of up to kPscMaxEntries,
// resuming each batch from the hypervisor's cur_entry until it is done.
// ghcb_gpa: the GHCB page's own GPA (scratch = its shared buffer). Fails
// with kDenied if the hypervisor reports an error, kBusy if it makes no
// progress, kInvalidArgument if it corrupts the header.
Result<void> change_page_state(Hypervisor& hv, Ghcb& ghcb, uint64_t ghcb_gpa, std::span<const PscRequest> requests);

}  // namespace warden::sev
