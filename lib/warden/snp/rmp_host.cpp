// The RMP table itself, who owns a page, and what the host and the PSP do
// to it: RMPUPDATE, PSMASH, SNP_LAUNCH_UPDATE, the check on the host's own
// writes.
#include "warden/snp/rmp.hpp"

namespace warden::snp {

Rmp::Rmp(PhysAddr base, std::span<RmpEntry> entries) : base_(base), entries_(entries) {
    // 15.36.4: software zeroes the RMP before enabling SNP, so every page
    // starts hypervisor-owned; the model starts from the same state.
    for (RmpEntry& e : entries_) e = RmpEntry{};
}

const RmpEntry* Rmp::find(PhysAddr spa) const {
    if (spa < base_) return nullptr;
    const uint64_t index = (spa - base_) / kPageSize;
    return index < entries_.size() ? &entries_[index] : nullptr;
}

RmpEntry* Rmp::find_mut(PhysAddr spa) { return const_cast<RmpEntry*>(static_cast<const Rmp*>(this)->find(spa)); }

std::span<const RmpEntry> Rmp::range(PhysAddr spa, PageSize size) const {
    const uint64_t n = page_bytes(size) / kPageSize;
    if (spa < base_ || !spa.is_aligned(kPageSize)) return {};
    const uint64_t first = (spa - base_) / kPageSize;
    if (first >= entries_.size() || entries_.size() - first < n) return {};
    return entries_.subspan(first, n);
}

std::span<RmpEntry> Rmp::range(PhysAddr spa, PageSize size) {
    const auto r = static_cast<const Rmp*>(this)->range(spa, size);
    return {const_cast<RmpEntry*>(r.data()), r.size()};
}

// Hypervisor-Owned check (15.36.10): Assigned = 0, or not covered at all;
// through a 2 MiB leaf, every 4 KiB entry of the 2 MiB it maps.
bool Rmp::hypervisor_owned(PhysAddr spa, PageSize leaf) const {
    const PhysAddr first = spa.align_down(page_bytes(leaf));
    for (uint64_t i = 0; i < page_bytes(leaf) / kPageSize; ++i) {
        const RmpEntry* e = find(first + i * kPageSize);
        if (e != nullptr && e->owner != Owner::kHypervisor) return false;
    }
    return true;
}

Fault ownership_fault(const RmpEntry* e, GuestPhysAddr gpa, uint64_t code) {
    code |= npf::kRmp;
    // RMP-Covered: memory beyond the RMP is the hypervisor's (15.36.5).
    if (e == nullptr) return {FaultKind::kNpf, code, "page not covered by the RMP (hypervisor memory)"};
    switch (e->owner) {
    // Guest-Owned: Assigned and the guest's ASID.
    case Owner::kHypervisor: return {FaultKind::kNpf, code, "page not assigned to the guest (hypervisor-owned)"};
    // Guest-Owned (ASID 0) and Mutable (Immutable = 1) both fail: Table 15-35.
    case Owner::kFirmware: return {FaultKind::kNpf, code, "page owned by the AMD-SP (immutable)"};
    case Owner::kGuest: break;
    }
    // Reverse-Map: the entry's GPA is the one the access translated.
    if (e->gpa != gpa.align_down(kPageSize)) return {FaultKind::kNpf, code, "RMP entry bound to another GPA"};
    return {};
}

namespace {

// An RMPUPDATE the instruction refuses before looking at the entries.
bool update_input_ok(PhysAddr spa, const RmpUpdate& u) {
    // Operands: a 2 MiB entry sits at a 2 MiB-aligned SPA and binds a 2 MiB-
    // aligned GPA (APM vol. 3 RMPUPDATE; the exact FAIL_INPUT list is not in
    // the text we could read: these are the cases Linux and KVM never issue).
    if (!spa.is_aligned(page_bytes(u.size))) return false;
    if (u.owner == Owner::kGuest && !u.gpa.is_aligned(page_bytes(u.size))) return false;
    // Model: firmware (AMD-SP) pages are 4 KiB only.
    return !(u.owner == Owner::kFirmware && u.size == PageSize::k2M);
}

// FAIL_OVERLAP (Linux sev.h: "RMPUPDATE detected 4K page and 2MB page
// overlap"): a 2 MiB entry over assigned 4 KiB ones, or a 4 KiB entry inside
// an assigned 2 MiB one (the host must PSMASH first, 15.36.11).
bool overlaps(std::span<const RmpEntry> r, PageSize new_size) {
    for (const RmpEntry& e : r) {
        if (e.owner == Owner::kHypervisor) continue;
        if (new_size == PageSize::k2M && e.size == PageSize::k4K) return true;
        if (new_size == PageSize::k4K && e.size == PageSize::k2M) return true;
    }
    return false;
}

}  // namespace

Status Rmp::rmpupdate(PhysAddr spa, const RmpUpdate& u) {
    if (!update_input_ok(spa, u)) return Status::kFailInput;
    const std::span<RmpEntry> r = range(spa, u.size);
    if (r.empty()) return Status::kFailInput;  // not covered by the RMP
    // MSVC __rmpupdate: FAIL_PERMISSION when "the RMP entry is immutable"
    // (Table 15-35: the AMD-SP's pages; it alone gives them back).
    for (const RmpEntry& e : r)
        if (e.owner == Owner::kFirmware) return Status::kFailPermission;
    if (overlaps(r, u.size)) return Status::kFailOverlap;
    // 15.36.6: deassigning, reassigning or remapping a page clears Validated;
    // 15.36.7: assigning gives VMPL0 every right and the other VMPLs none;
    // 15.36.11: changing the size clears Validated too. The model resets them
    // on every RMPUPDATE, also one that rewrites the same state (the APM text
    // we read does not say; resetting can only fault where the hardware might
    // not, never the other way).
    for (uint64_t i = 0; i < r.size(); ++i) {
        RmpEntry e;
        e.owner = u.owner;
        if (u.owner == Owner::kGuest) {
            e.size = u.size;
            e.gpa = u.gpa + i * kPageSize;
        }
        r[i] = e;
    }
    return Status::kSuccess;
}

Status Rmp::psmash(PhysAddr spa) {
    // 15.36.11: PSMASH takes a 2 MiB-aligned SPA and turns its 2 MiB entry
    // into 512 4 KiB ones with consecutive GPAs, keeping every other field
    // (Validated included). MSVC __psmash: FAIL_INPUT for a bad operand.
    if (!spa.is_aligned(kLargePageSize)) return Status::kFailInput;
    const std::span<RmpEntry> r = range(spa, PageSize::k2M);
    if (r.empty()) return Status::kFailInput;
    // Not a 2 MiB entry: FAIL_INPUT in the model. The hardware may answer
    // FAIL_UNSAFE (7, "the page doesn't meet the requirements for expansion")
    // instead; which one was not found in the text we could read.
    if (r[0].owner == Owner::kHypervisor || r[0].size != PageSize::k2M) return Status::kFailInput;
    for (RmpEntry& e : r) e.size = PageSize::k4K;
    return Status::kSuccess;
}

Result<void> Rmp::launch_update(PhysAddr spa, const LaunchPage& page) {
    const RmpEntry* head = find(spa);
    if (head == nullptr) return Fail(Error::kOutOfRange);
    // Firmware ABI 56860 SNP_LAUNCH_UPDATE: the page must be assigned to the
    // guest and not yet validated (the model refuses a second update of the
    // same page: the host would measure it twice).
    if (head->owner != Owner::kGuest || head->validated) return Fail(Error::kDenied);
    if (!spa.is_aligned(page_bytes(head->size))) return Fail(Error::kMisaligned);
    // A VMSA is one 4 KiB page (15.36.12: VMRUN checks it as 4 KiB).
    if (page.vmsa && head->size == PageSize::k2M) return Fail(Error::kInvalidArgument);
    for (const Perms p : page.lower)
        if (!p.within(Perms{Perms::kAll})) return Fail(Error::kInvalidArgument);
    for (RmpEntry& e : range(spa, head->size)) {
        e.validated = true;
        e.vmsa = page.vmsa;
        e.lower = page.lower;
    }
    return {};
}

Fault Rmp::check_host_write(PhysAddr spa, PageSize host_leaf) const {
    if (hypervisor_owned(spa, host_leaf)) return {};
    // #PF error code: present, write, and bit 31 (RMP).
    return {FaultKind::kPf, bit(0) | bit(1) | kPfRmp, "host write to a page the RMP gives the guest or the AMD-SP"};
}

}  // namespace warden::snp
