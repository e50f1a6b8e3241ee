// A small machine for the RMP tests: 6 MiB of host memory whose page i backs
// guest page i, and one-line helpers for the operations on it.
#pragma once

#include <vector>

#include "warden/sev/ioio.hpp"
#include "warden/snp/rmp.hpp"

namespace rmp_test {
using namespace warden;
using namespace warden::snp;

inline constexpr uint64_t kBase = 0x4000'0000;  // host-physical start, 2 MiB aligned
inline constexpr size_t kPages = 3 * kPagesPer2M;

struct Machine {
    std::vector<RmpEntry> store = std::vector<RmpEntry>(kPages);
    Rmp rmp{PhysAddr(kBase), store};
    Machine() = default;
    Machine(const Machine&) = delete;  // rmp points into store
    Machine& operator=(const Machine&) = delete;
    std::vector<RmpEntry> snapshot() const { return store; }
};

inline PhysAddr spa(uint64_t page) { return PhysAddr(kBase) + page * kPageSize; }
inline GuestPhysAddr gpa(uint64_t page) { return GuestPhysAddr(page * kPageSize); }

inline Status assign(Rmp& r, uint64_t page, PageSize s = PageSize::k4K) {
    return r.rmpupdate(spa(page), {Owner::kGuest, gpa(page), s});
}
inline Outcome pvalidate(Rmp& r, Vmpl v, uint64_t page, PageSize s, bool validate) {
    return r.pvalidate({v, gpa(page), spa(page), static_cast<uint32_t>(s), validate ? 1u : 0u});
}
// RDX built by the guest side's own encoder (lib/warden/sev/ioio.hpp): the
// host's decoder is checked against it, and both against the literal values
// in "rmp: constants".
inline Outcome adjust(Rmp& r, Vmpl v, uint64_t page, PageSize s, Vmpl target, uint8_t perms, bool vmsa = false) {
    return r.rmpadjust({v, gpa(page), spa(page), static_cast<uint64_t>(s),
                        sev::rmpadjust_attributes(static_cast<uint8_t>(target), perms, vmsa)});
}
inline Access access(Vmpl v, uint64_t page, AccessKind k, bool c_bit = true, PageSize npt = PageSize::k4K) {
    Access a;
    a.vmpl = v;
    a.gpa = gpa(page);
    a.spa = spa(page);
    a.kind = k;
    a.c_bit = c_bit;
    a.npt = npt;
    return a;
}
inline bool ok(const Outcome& o) { return o.fault.allowed() && o.status == Status::kSuccess; }

}  // namespace rmp_test
