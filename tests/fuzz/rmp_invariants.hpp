// What every RMP state and every RMP operation must keep, shared by the
// fuzz target and the unit test's property case. Each checker returns the
// first violation it finds, or nullptr. None of them restates an RMP rule:
// they compare the model's own answers (view against check, before against
// after), so a wrong rule shows up as a disagreement, not as a copy.
#pragma once

#include <span>

#include "warden/snp/rmp.hpp"

namespace rmp_inv {
using namespace warden;
using namespace warden::snp;

inline Access final_access(Vmpl v, GuestPhysAddr gpa, PhysAddr spa, AccessKind k, bool c_bit, PageSize leaf) {
    Access a;
    a.vmpl = v;
    a.gpa = gpa;
    a.spa = spa;
    a.kind = k;
    a.c_bit = c_bit;
    a.npt = leaf;
    return a;
}

inline bool view_allows(const NptRights& r, AccessKind k) {
    switch (k) {
    case AccessKind::kRead: return r.present;
    case AccessKind::kWrite: return r.present && r.writable;
    case AccessKind::kExecUser:
    case AccessKind::kExecSupervisor: return r.present && r.executable;
    }
    return false;
}

// The view never allows a final access (data or fetch, either alias) that
// check_access refuses, and allows every one it allows when it says it is
// exact. A page walk through the private alias of a 4 KiB leaf is held to the
// same; walks through the shared alias, and A/D updates under a 2 MiB leaf,
// are the two cases an NPT cannot separate (docs/snp-host.md).
inline const char* view_violation(const Rmp& rmp, Vmpl v, GuestPhysAddr gpa, PhysAddr spa, PageSize leaf) {
    const NptView view = rmp.npt_view(v, gpa, spa, leaf);
    constexpr AccessKind kKinds[] = {AccessKind::kRead, AccessKind::kWrite, AccessKind::kExecUser,
                                     AccessKind::kExecSupervisor};
    for (const bool c_bit : {true, false}) {
        const NptRights& rights = c_bit ? view.private_alias : view.shared_alias;
        for (const AccessKind k : kKinds) {
            const bool checked = rmp.check_access(final_access(v, gpa, spa, k, c_bit, leaf)).allowed();
            if (view_allows(rights, k) && !checked)
                return c_bit ? "private view allows a refused access" : "shared view allows a refused access";
            if (rights.exact && checked && !view_allows(rights, k)) return "an exact view refuses an allowed access";
        }
    }
    if (leaf == PageSize::k4K) {
        for (const AccessKind k : {AccessKind::kRead, AccessKind::kWrite}) {
            Access walk = final_access(v, gpa, spa, k, true, leaf);
            walk.page_walk = true;
            if (view_allows(view.private_alias, k) && !rmp.check_access(walk).allowed())
                return "private view allows a refused page walk";
        }
    }
    return nullptr;
}

// Every 2 MiB entry is 512 aligned, identical 4 KiB entries with consecutive
// GPAs; hypervisor-owned entries hold nothing; no permission bit beyond 3;
// a VMSA page is 4 KiB.
inline const char* shape_violation(const Rmp& rmp) {
    const auto all = rmp.entries();
    for (size_t i = 0; i < all.size(); ++i) {
        const RmpEntry& e = all[i];
        if (e.owner == Owner::kHypervisor && !(e == RmpEntry{})) return "a hypervisor-owned entry holds state";
        for (const Perms p : e.lower)
            if (!p.within(Perms{Perms::kAll})) return "a permission bit beyond the model";
        if (e.owner == Owner::kGuest && !e.gpa.is_aligned(kPageSize)) return "a GPA not page aligned";
        if (e.vmsa && e.size == PageSize::k2M) return "a 2 MiB entry with the VMSA bit";
        if (e.size != PageSize::k2M) continue;
        const PhysAddr head_spa = (rmp.base() + i * kPageSize).align_down(kLargePageSize);
        if (head_spa < rmp.base()) return "a 2 MiB entry before the table";
        const size_t head = (head_spa - rmp.base()) / kPageSize;
        if (head + kPagesPer2M > all.size()) return "a 2 MiB entry past the table";
        RmpEntry expect = all[head];
        expect.gpa = all[head].gpa + (i - head) * kPageSize;
        if (!(e == expect)) return "a 2 MiB entry whose 4 KiB parts differ";
        if (!all[head].gpa.is_aligned(kLargePageSize)) return "a 2 MiB entry bound to an unaligned GPA";
    }
    return nullptr;
}

// Entries outside [first, first + count) are equal in both.
inline bool same_outside(std::span<const RmpEntry> before, std::span<const RmpEntry> after, size_t first,
                         size_t count) {
    for (size_t i = 0; i < before.size(); ++i)
        if ((i < first || i >= first + count) && !(before[i] == after[i])) return false;
    return true;
}

inline bool same(std::span<const RmpEntry> before, std::span<const RmpEntry> after) {
    return same_outside(before, after, 0, 0);
}

// An operation from VMPL n > 0 changes nothing that belongs to VMPL 0..n:
// ownership, size, binding, Validated, the VMSA bit, and the permissions of
// VMPL1..n.
inline bool keeps_higher_vmpls(const RmpEntry& before, const RmpEntry& after, Vmpl caller) {
    if (before.owner != after.owner || before.size != after.size || before.gpa != after.gpa ||
        before.validated != after.validated || before.vmsa != after.vmsa)
        return false;
    for (unsigned k = 1; k <= vmpl_index(caller); ++k)
        if (!(before.lower[k - 1] == after.lower[k - 1])) return false;
    return true;
}

}  // namespace rmp_inv
