// The RMP checks on a guest's memory access (APM vol. 2 15.36.10, Table
// 15-39) and the nested-page-table rights per VMPL that fault on every
// access those checks refuse.
#include "warden/snp/rmp.hpp"

namespace warden::snp {

namespace {

bool is_fetch(AccessKind k) { return k == AccessKind::kExecUser || k == AccessKind::kExecSupervisor; }

// A page walk reads the guest's tables or, for an A/D update, writes them.
AccessKind effective_kind(const Access& a) {
    if (!a.page_walk) return a.kind;
    return a.kind == AccessKind::kWrite ? AccessKind::kWrite : AccessKind::kRead;
}

// EXITINFO1 of a #NPF on this access, before the RMP/VMPL bits: present
// (the nested translation exists, the RMP refused it), user (nested walks
// are user accesses; the probe saw U on every #NPF), write, fetch, and
// whether the final GPA or a guest table faulted.
uint64_t access_code(const Access& a, bool is_private) {
    uint64_t code = npf::kPresent | npf::kUser;
    if (effective_kind(a) == AccessKind::kWrite) code |= npf::kWrite;
    if (!a.page_walk && is_fetch(a.kind)) code |= npf::kFetch;
    code |= a.page_walk ? npf::kPageWalk : npf::kFinal;
    if (is_private) code |= npf::kEncrypted;  // ENC: the effective C-bit was 1
    return code;
}

// 15.36.7, Table 15-36. A write needs Read as well: write without read is
// an illegal setting and data accesses to such a page fault.
bool permits(Perms p, AccessKind k) {
    switch (k) {
    case AccessKind::kRead: return p.has(Perms::kRead);
    case AccessKind::kWrite: return p.has(Perms::kRead | Perms::kWrite);
    case AccessKind::kExecUser: return p.has(Perms::kExecUser);
    case AccessKind::kExecSupervisor: return p.has(Perms::kExecSupervisor);
    }
    return false;
}

const char* vmpl_reason(AccessKind k, bool vmsa) {
    switch (k) {
    case AccessKind::kRead: return vmsa ? "read of a VMSA page denied to this VMPL" : "read denied to this VMPL";
    case AccessKind::kWrite:
        return vmsa ? "write to a VMSA page denied to this VMPL" : "write denied to this VMPL (needs read and write)";
    case AccessKind::kExecUser: return "CPL3 execution denied to this VMPL";
    case AccessKind::kExecSupervisor: return "CPL0-2 execution denied to this VMPL";
    }
    return "denied to this VMPL";
}

}  // namespace

Fault Rmp::check_access(const Access& a) const {
    // 15.34.5 and Table 15-39: instruction fetches and the guest's page-table
    // accesses are private whatever the C-bit says (vTOM is not modelled).
    const bool is_private = a.c_bit || a.page_walk || is_fetch(a.kind);
    const AccessKind kind = effective_kind(a);
    const uint64_t code = access_code(a, is_private);
    if (!is_private) {
        // Table 15-39, C-bit 0: a data write needs a hypervisor-owned page
        // (every 4 KiB of it through a 2 MiB leaf); a data read is not
        // checked (the guest would read ciphertext on hardware).
        if (kind != AccessKind::kWrite || hypervisor_owned(a.spa, a.npt)) return {};
        return {FaultKind::kNpf, code | npf::kRmp, "shared write to a page assigned to the guest or the AMD-SP"};
    }
    // The #NPF checks first, then Validated (#VC), then VMPL (15.36.10: the
    // VMPL check has the lowest priority, the Validated check the next).
    const RmpEntry* e = find(a.spa);
    if (Fault f = ownership_fault(e, a.gpa, code); !f.allowed()) return f;
    // Page-Size: the nested leaf's size is the entry's. An A/D update is a
    // 4 KiB access whatever the leaf (15.36.10).
    const PageSize size = a.page_walk && kind == AccessKind::kWrite ? PageSize::k4K : a.npt;
    if (e->size != size) {
        return {FaultKind::kNpf, code | npf::kRmp,
                e->size == PageSize::k2M ? "4 KiB access to a 2 MiB RMP entry (PSMASH it or map it 2 MiB)"
                                         : "2 MiB nested leaf over a 4 KiB RMP entry"};
    }
    if (!e->validated) return {FaultKind::kVc, kVcPageNotValidated, "private access to a page not validated"};
    if (!permits(e->perms(a.vmpl), kind))
        return {FaultKind::kNpf, code | npf::kRmp | npf::kVmpl, vmpl_reason(kind, e->vmsa)};
    return {};
}

NptView Rmp::npt_view(Vmpl vmpl, GuestPhysAddr gpa, PhysAddr spa, PageSize leaf) const {
    auto allowed = [&](AccessKind k, bool c_bit) {
        Access a;
        a.vmpl = vmpl;
        a.gpa = gpa;
        a.spa = spa;
        a.kind = k;
        a.c_bit = c_bit;
        a.npt = leaf;
        return check_access(a).allowed();
    };
    const bool read = allowed(AccessKind::kRead, true), write = allowed(AccessKind::kWrite, true);
    // Fetches are private through either alias: one answer serves both.
    const bool xu = allowed(AccessKind::kExecUser, true), xs = allowed(AccessKind::kExecSupervisor, true);
    NptView v;
    // A nested leaf is readable whenever present, and its NX bit cannot tell
    // CPL3 from CPL0-2 (GMET is not modelled): allow execution only when
    // both are allowed, and say the leaf is not exact when they differ.
    v.private_alias.present = read;
    v.private_alias.writable = read && write;
    v.private_alias.executable = read && xu && xs;
    v.private_alias.exact = xu == xs && (read || !xu);
    v.shared_alias.present = true;  // shared reads are never refused
    v.shared_alias.writable = allowed(AccessKind::kWrite, false);
    v.shared_alias.executable = xu && xs;
    v.shared_alias.exact = xu == xs;
    return v;
}

}  // namespace warden::snp
