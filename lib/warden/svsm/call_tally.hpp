// What a guest's vCPU asked of its SVSM, call by call: the request loop's
// tally by protocol and call (RAX = protocol << 32 | call, SPEC-FACTS 7),
// so that a guest nobody here wrote (OVMF) can be seen at work: the first
// call of each kind is said when it comes, the tally at powers of two.
#pragma once

#include <array>
#include <cstdint>

#include "warden/format.hpp"

namespace warden::svsm {

// "CORE_PVALIDATE", "ATTEST_SERVICES", ...; nullptr for a call no protocol
// Warden knows defines (it is still counted, by number).
const char* call_name(uint32_t protocol, uint32_t call);

class CallTally {
public:
    static constexpr size_t kKinds = 16;  // distinct (protocol, call) pairs kept; the rest count as "other"

    // Counts the call in RAX; true when it is the first of its kind.
    bool record(uint64_t rax);
    uint64_t total() const { return total_; }
    uint64_t count(uint64_t rax) const;
    // "N calls: CORE_PVALIDATE 60, CORE_QUERY_PROTOCOL 2, 3:7 1" in order of first use.
    void describe(fmt::Sink& out) const;

private:
    struct Kind {
        uint64_t rax = 0;
        uint64_t count = 0;
    };
    std::array<Kind, kKinds> kinds_{};
    size_t used_ = 0;
    uint64_t other_ = 0, total_ = 0;
};

}  // namespace warden::svsm
