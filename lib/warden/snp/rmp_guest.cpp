// The guest's RMP instructions as the host emulates them from #UD:
// PVALIDATE (APM vol. 2 15.36.6, 15.36.11) and RMPADJUST (15.36.7). The
// APM vol. 3 instruction pages were not available to us; where a rule comes
// from elsewhere the comment names the source.
#include "warden/snp/rmp.hpp"

namespace warden::snp {

namespace {

Outcome returned(Status s) { return {s, false, {}}; }
Outcome faulted(Fault f) { return {Status::kSuccess, false, f}; }

// #NPF EXITINFO1 for a PVALIDATE or RMPADJUST the RMP refuses. 15.36.10 and
// 15.36.11 name the RMP and SIZEM bits; which access bits the hardware adds
// for an instruction is not in the text we read, so the model sets only the
// final-GPA bit besides them.
constexpr uint64_t kInstrNpf = npf::kFinal;

// 15.36.11, Table 15-40: a 4 KiB request on a 2 MiB entry is #NPF with
// SIZEM (the host PSMASHes and the guest retries); a 2 MiB request on 4 KiB
// entries returns FAIL_SIZEMISMATCH (the guest retries with 4 KiB pages).
// Table 15-40 speaks of the RMP's size; 15.36.6 words the same rules in terms
// of the nested mapping. The model follows Table 15-40 (the host maps each
// entry with a leaf of its size, docs/snp-host.md).
enum class SizeVerdict : uint8_t { kSame, kSmashFirst, kMismatch };
SizeVerdict compare_size(const RmpEntry& e, PageSize requested) {
    if (e.size == requested) return SizeVerdict::kSame;
    return e.size == PageSize::k2M ? SizeVerdict::kSmashFirst : SizeVerdict::kMismatch;
}
constexpr Fault kSmashFirst{FaultKind::kNpf, kInstrNpf | npf::kRmp | npf::kSizeMismatch,
                            "4 KiB PVALIDATE/RMPADJUST on a 2 MiB RMP entry (PSMASH it)"};

bool aligned_to(GuestPhysAddr gpa, PhysAddr spa, PageSize s) {
    return gpa.is_aligned(page_bytes(s)) && spa.is_aligned(page_bytes(s));
}

}  // namespace

Outcome Rmp::pvalidate(const PvalidateOp& op) {
    // VMPL0 only: VeriSMo's model refuses it elsewhere, and Linux and EDK2
    // send PVALIDATE to the SVSM whenever they run below VMPL0. Its return
    // codes (0, 1, 6: MSVC __pvalidate) have none for this, so it is an
    // exception; #GP(0) is the model's choice, not read in the APM.
    if (op.vmpl != Vmpl::k0) return faulted({FaultKind::kGp, 0, "PVALIDATE above VMPL0"});
    // FAIL_INPUT: operands other than 0/1, or an address not aligned to the
    // page size (the model's reading of "an input parameter is invalid").
    if (op.ecx > 1 || op.edx > 1) return returned(Status::kFailInput);
    const PageSize size = op.ecx == 1 ? PageSize::k2M : PageSize::k4K;
    const bool validate = op.edx == 1;
    if (!aligned_to(op.gpa, op.spa, size)) return returned(Status::kFailInput);
    // An unassigned, AMD-SP or remapped page: the RMP checks of Table 15-39
    // fail, #NPF (VeriSMo's SNP model, arch/rmp, refuses the same way).
    const RmpEntry* head = find(op.spa);
    if (Fault f = ownership_fault(head, op.gpa, kInstrNpf); !f.allowed()) return faulted(f);
    const SizeVerdict sized = compare_size(*head, size);
    if (sized == SizeVerdict::kSmashFirst) return faulted(kSmashFirst);
    if (sized == SizeVerdict::kMismatch) return returned(Status::kFailSizeMismatch);
    // rFLAGS.CF = 1 and EAX = 0 when Validated already had that value
    // (SPEC-FACTS 2; MSVC __pvalidate: "success, whether or not the
    // validated bit changed").
    if (head->validated == validate) return {Status::kSuccess, true, {}};
    for (RmpEntry& e : range(op.spa, size)) e.validated = validate;
    return returned(Status::kSuccess);
}

namespace {

struct AdjustArgs {
    PageSize size;
    unsigned target;
    Perms perms;
    bool vmsa;
};

// RDX: 7:0 target VMPL, 15:8 permissions, 16 VMSA (Linux RMPADJUST_VMPL_*,
// RMPADJUST_PERM_MASK_SHIFT, RMPADJUST_VMSA_PAGE_BIT; SPEC-FACTS 2). Any
// other bit, a VMPL past 3 or a permission bit past 3 is FAIL_INPUT in the
// model (the APM's list was not available; Linux and COCONUT set none).
bool decode_adjust(uint64_t rcx, uint64_t rdx, AdjustArgs* out) {
    if (rcx > 1 || (rdx >> 17) != 0) return false;
    const auto target = static_cast<unsigned>(rdx & 0xff);
    const auto perms = static_cast<uint8_t>((rdx >> 8) & 0xff);
    if (target >= kVmpls || (perms & ~Perms::kAll) != 0) return false;
    *out = {rcx == 1 ? PageSize::k2M : PageSize::k4K, target, Perms{perms}, ((rdx >> 16) & 1) != 0};
    return true;
}

}  // namespace

Outcome Rmp::rmpadjust(const RmpadjustOp& op) {
    AdjustArgs args{};
    if (!decode_adjust(op.rcx, op.rdx, &args) || !aligned_to(op.gpa, op.spa, args.size))
        return returned(Status::kFailInput);
    // A VMSA is one 4 KiB page (15.36.12: VMRUN checks it as 4 KiB; the
    // launch update refuses a 2 MiB one too): the VMSA bit on a 2 MiB
    // RMPADJUST is an invalid input, whichever VMPL asks.
    if (args.vmsa && args.size == PageSize::k2M) return returned(Status::kFailInput);
    // 15.36.7: only a numerically higher VMPL than the caller's can be
    // changed (AMD's Tom Lendacky, AMDSEV issue 208, says the same).
    if (args.target <= vmpl_index(op.vmpl)) return returned(Status::kFailPermission);
    const RmpEntry* head = find(op.spa);
    if (Fault f = ownership_fault(head, op.gpa, kInstrNpf); !f.allowed()) return faulted(f);
    const SizeVerdict sized = compare_size(*head, args.size);
    if (sized == SizeVerdict::kSmashFirst) return faulted(kSmashFirst);
    // A page not validated: #VC PAGE_NOT_VALIDATED, as VeriSMo's model
    // (arch/rmp/access_s.rs) has it; the APM page was not available. Checked
    // before the size mismatch, in VeriSMo's order.
    if (!head->validated) return faulted({FaultKind::kVc, kVcPageNotValidated, "RMPADJUST on a page not validated"});
    if (sized == SizeVerdict::kMismatch) return returned(Status::kFailSizeMismatch);
    // 15.36.7: no right the caller does not hold itself (VMPL0 holds all).
    if (!args.perms.within(head->perms(op.vmpl))) return returned(Status::kFailPermission);
    for (RmpEntry& e : range(op.spa, args.size)) {
        e.lower[args.target - 1] = args.perms;
        // The VMSA bit is only changed from VMPL0 and ignored otherwise (MSVC
        // __rmpadjust; EDK2 SevSnpRmpAdjust's comment; 15.36.12).
        if (op.vmpl == Vmpl::k0) e.vmsa = args.vmsa;
    }
    return returned(Status::kSuccess);
}

}  // namespace warden::snp
