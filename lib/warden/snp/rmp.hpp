// The Reverse Map Table (RMP) of an SEV-SNP machine, as the emulated SNP host
// (snp-host/, DESIGN 2a) keeps and enforces it: one entry per 4 KiB of host
// memory; the host's RMPUPDATE and PSMASH and the PSP's launch update; the
// guest's PVALIDATE and RMPADJUST; the check the CPU makes on every guest
// access; and the nested-page-table rights per VMPL that make each access the
// RMP refuses fault into the host. lib/warden/snp/ is what the SNP hardware
// and host do, lib/warden/sev/ what the guest does. Rules and their sources
// (AMD64 APM vol. 2 15.36 unless said otherwise), what is simplified and what
// is absent: docs/snp-host.md, "The RMP model".
#pragma once

#include <array>
#include <span>

#include "warden/addr.hpp"
#include "warden/bits.hpp"
#include "warden/result.hpp"

namespace warden::snp {

// VMPL0 is the most privileged (15.36.7). Four VMPLs, as CPUID 0x8000001F
// EBX[15:12] reports on EPYC parts; the model fixes the number.
enum class Vmpl : uint8_t { k0 = 0, k1 = 1, k2 = 2, k3 = 3 };
inline constexpr unsigned kVmpls = 4;
constexpr unsigned vmpl_index(Vmpl v) { return static_cast<unsigned>(v); }

// A VMPL permission mask (15.36.7, Table 15-36). Bit 4 (supervisor shadow
// stack, VmplSSS) and bits 7:5 (reserved) are not modelled.
struct Perms {
    static constexpr uint8_t kRead = 1, kWrite = 2, kExecUser = 4, kExecSupervisor = 8;
    static constexpr uint8_t kAll = kRead | kWrite | kExecUser | kExecSupervisor;
    uint8_t bits = 0;

    constexpr bool has(uint8_t wanted) const { return (bits & wanted) == wanted; }
    constexpr bool within(Perms holder) const { return (bits & ~holder.bits) == 0; }
    friend constexpr bool operator==(Perms, Perms) = default;
};

// Who owns a page (15.36.5, Table 15-35). One guest is modelled, so its ASID
// is implied: kGuest is Assigned = 1 with the guest's ASID; kFirmware is the
// AMD-SP's (Assigned = 1, ASID 0, Immutable = 1). Memory the RMP does not
// cover is the hypervisor's (15.36.5).
enum class Owner : uint8_t { kHypervisor, kGuest, kFirmware };

// RMP Page_Size (Table 15-34); also PVALIDATE's ECX and RMPADJUST's RCX[0].
enum class PageSize : uint8_t { k4K = 0, k2M = 1 };
constexpr uint64_t page_bytes(PageSize s) { return s == PageSize::k2M ? kLargePageSize : kPageSize; }
inline constexpr uint64_t kPagesPer2M = kLargePageSize / kPageSize;

// One 4 KiB entry (Table 15-34). The 512 entries of a 2 MiB page all carry
// its fields, each with its own GPA (the base's + its offset), so PSMASH only
// changes the size (15.36.11). Hypervisor-owned entries are all zero.
struct RmpEntry {
    Owner owner = Owner::kHypervisor;
    PageSize size = PageSize::k4K;
    bool validated = false;
    bool vmsa = false;
    GuestPhysAddr gpa;             // the page this entry is bound to (kGuest only)
    std::array<Perms, 3> lower{};  // VMPL1..3; VMPL0 holds every right on a guest page

    constexpr Perms perms(Vmpl v) const {
        if (owner != Owner::kGuest) return Perms{};
        return v == Vmpl::k0 ? Perms{Perms::kAll} : lower[vmpl_index(v) - 1];
    }
    // What VMRUN and AP creation need of a VMSA page (15.36.12, Table
    // 15-41): the guest's, the VMSA bit, validated, one 4 KiB page.
    constexpr bool runnable_vmsa() const {
        return owner == Owner::kGuest && vmsa && validated && size == PageSize::k4K;
    }
    friend constexpr bool operator==(const RmpEntry&, const RmpEntry&) = default;
};

// EAX after RMPUPDATE, PSMASH, PVALIDATE and RMPADJUST (APM vol. 3; values
// as MSVC's __rmpupdate/__psmash/__pvalidate/__rmpadjust pages and Linux
// arch/x86/include/asm/sev.h document them).
enum class Status : uint32_t {
    kSuccess = 0,
    kFailInput = 1,
    kFailPermission = 2,
    kFailInUse = 3,
    kFailOverlap = 4,
    kFailSizeMismatch = 6,
    kFailUnsafe = 7,
};

// #VMEXIT(NPF) EXITINFO1: bits 4:0 as the #PF error code, 32 and 33 (final
// GPA / guest page-table walk) from APM vol. 2 15.25.6; 31 RMP, 34 ENC, 35
// SIZEM, 36 VMPL from 15.36.10. Linux kvm_host.h PFERR_GUEST_* agrees.
namespace npf {
inline constexpr uint64_t kPresent = bit(0), kWrite = bit(1), kUser = bit(2), kFetch = bit(4);
inline constexpr uint64_t kRmp = bit(31), kFinal = bit(32), kPageWalk = bit(33);
inline constexpr uint64_t kEncrypted = bit(34), kSizeMismatch = bit(35), kVmpl = bit(36);
}  // namespace npf
// #PF error code bit 31: the host touched a page the RMP does not give it (15.36.10).
inline constexpr uint64_t kPfRmp = bit(31);
// #VC error code of a private access to a page not validated (15.36.10).
inline constexpr uint64_t kVcPageNotValidated = 0x404;

enum class FaultKind : uint8_t { kNone, kNpf, kVc, kGp, kPf };

// What the hardware raises instead of the access or instruction, and why.
// code: EXITINFO1 for kNpf, the error code for kVc and kPf, 0 for #GP(0).
struct Fault {
    FaultKind kind = FaultKind::kNone;
    uint64_t code = 0;
    const char* reason = "allowed";
    constexpr bool allowed() const { return kind == FaultKind::kNone; }
};

enum class AccessKind : uint8_t { kRead, kWrite, kExecUser, kExecSupervisor };

struct Access {
    Vmpl vmpl = Vmpl::k0;
    GuestPhysAddr gpa;  // without the C-bit
    PhysAddr spa;       // where the host's nested page tables send gpa
    AccessKind kind = AccessKind::kRead;
    bool c_bit = true;             // the guest PTE's; fetches and page walks are private anyway
    bool page_walk = false;        // the guest's page-table walk (kRead) or A/D update (kWrite)
    PageSize npt = PageSize::k4K;  // the nested leaf that translated gpa
};

// A guest instruction's result: EAX (and CF for PVALIDATE), or a fault.
struct Outcome {
    Status status = Status::kSuccess;
    bool no_change = false;  // PVALIDATE's rFLAGS.CF: the entry already had that state
    Fault fault;
};

// The operands the host finds after the #UD (QEMU-FACTS: TCG leaves them
// intact), with RAX already translated to a GPA and the SPA behind it.
struct PvalidateOp {
    Vmpl vmpl = Vmpl::k0;
    GuestPhysAddr gpa;
    PhysAddr spa;
    uint32_t ecx = 0;  // page size: 0 4 KiB, 1 2 MiB
    uint32_t edx = 0;  // 1 validate, 0 rescind
};
struct RmpadjustOp {
    Vmpl vmpl = Vmpl::k0;
    GuestPhysAddr gpa;
    PhysAddr spa;
    uint64_t rcx = 0;  // bit 0 page size
    uint64_t rdx = 0;  // 7:0 target VMPL, 15:8 permissions, 16 VMSA (Linux RMPADJUST_*)
};

// RMPUPDATE's new state (15.36.5). gpa is ignored for kHypervisor and kFirmware.
struct RmpUpdate {
    Owner owner = Owner::kHypervisor;
    GuestPhysAddr gpa;
    PageSize size = PageSize::k4K;
};

// What the PSP's SNP_LAUNCH_UPDATE does to an assigned page (Firmware ABI
// 56860): validates it, marks a VMSA page, sets the VMPL1..3 permissions the
// launch digest covers (SPEC-FACTS 8).
struct LaunchPage {
    bool vmsa = false;
    std::array<Perms, 3> lower{};
};

// The rights one nested leaf may give. exact: the leaf allows exactly what
// the RMP allows for every final access through it; when not, it allows less
// (execute-user and execute-supervisor differ, or execute without read on
// the private alias: the NPT cannot express either).
struct NptRights {
    bool present = false, writable = false, executable = false, exact = true;
};
struct NptView {
    NptRights private_alias;  // gpa | C-bit
    NptRights shared_alias;   // gpa
};

class Rmp {
public:
    // Covers [base, base + entries.size() * 4 KiB) of host memory; base is
    // 4 KiB aligned. Every entry starts hypervisor-owned, as the zeroed RMP
    // the AMD-SP initialises (15.36.4). The caller owns the storage.
    Rmp(PhysAddr base, std::span<RmpEntry> entries);

    PhysAddr base() const { return base_; }
    uint64_t pages() const { return entries_.size(); }
    const RmpEntry* find(PhysAddr spa) const;  // nullptr: not covered
    std::span<const RmpEntry> entries() const { return entries_; }

    // Host (rmp_host.cpp).
    Status rmpupdate(PhysAddr spa, const RmpUpdate& update);
    Status psmash(PhysAddr spa);
    // kOutOfRange not covered, kMisaligned not on the entry's boundary,
    // kDenied not a guest page or already validated, kInvalidArgument a 2 MiB
    // VMSA or reserved permission bits.
    Result<void> launch_update(PhysAddr spa, const LaunchPage& page);
    // Table 15-39, host row: a host write (or page-table access) is allowed
    // on hypervisor-owned memory only, else #PF with kPfRmp.
    Fault check_host_write(PhysAddr spa, PageSize host_leaf) const;

    // Guest instructions (rmp_guest.cpp). A refused one changes nothing.
    Outcome pvalidate(const PvalidateOp& op);
    Outcome rmpadjust(const RmpadjustOp& op);

    // Accesses (rmp_access.cpp).
    Fault check_access(const Access& access) const;
    NptView npt_view(Vmpl vmpl, GuestPhysAddr gpa, PhysAddr spa, PageSize leaf) const;

private:
    RmpEntry* find_mut(PhysAddr spa);
    // The entries of [spa, spa + page_bytes(size)), or empty if not all covered.
    std::span<RmpEntry> range(PhysAddr spa, PageSize size);
    std::span<const RmpEntry> range(PhysAddr spa, PageSize size) const;
    bool hypervisor_owned(PhysAddr spa, PageSize leaf) const;

    PhysAddr base_;
    std::span<RmpEntry> entries_;
};

// The checks of Table 15-39 that an SNP-active guest's private access, or
// PVALIDATE/RMPADJUST, makes before the Validated and VMPL checks
// (RMP-Covered, Guest-Owned, Reverse-Map, Mutable). Allowed when they pass;
// else #NPF with `code` | npf::kRmp (rmp_host.cpp; used by the guest
// instructions and the access check).
Fault ownership_fault(const RmpEntry* entry, GuestPhysAddr gpa, uint64_t code);

}  // namespace warden::snp
