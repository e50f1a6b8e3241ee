// ModelRmp: lib's RMP model behind the seam (rmp_model.hpp).
#include "rmp_model.hpp"

#include <atomic>
#include <new>

#include "console.hpp"

namespace snp_host {
namespace {

namespace snp = warden::snp;
constexpr uint64_t k2M = uint64_t{2} << 20;

snp::Vmpl vmpl_of(unsigned v) { return static_cast<snp::Vmpl>(v & 3); }

// vCPUs on several host CPUs use one table: the model is not concurrent
// (docs/snp-host.md, "Absent": the host serialises the table).
std::atomic_flag table_lock = ATOMIC_FLAG_INIT;
struct TableGuard {
    TableGuard() {
        while (table_lock.test_and_set(std::memory_order_acquire)) asm volatile("pause");
    }
    ~TableGuard() { table_lock.clear(std::memory_order_release); }
};

PvalidateOutcome convert(const snp::Outcome& o) {
    PvalidateOutcome r{static_cast<uint32_t>(o.status), o.no_change};
    switch (o.fault.kind) {
    case snp::FaultKind::kNone: break;
    case snp::FaultKind::kGp: r.fault = RmpFault::kGp; break;
    case snp::FaultKind::kVc: r.fault = RmpFault::kVc; break;
    case snp::FaultKind::kNpf:
    case snp::FaultKind::kPf: r.fault = RmpFault::kNpf; break;
    }
    r.fault_code = o.fault.code;
    r.reason = o.fault.reason;
    return r;
}

bool size_mismatch(const snp::Outcome& o) {
    return o.fault.kind == snp::FaultKind::kNpf && (o.fault.code & snp::npf::kSizeMismatch);
}

}  // namespace

bool ModelRmp::init(const GuestMemory& g) {
    const uint64_t pages = g.host_pages();
    if (pages * sizeof(snp::RmpEntry) > kRmpStorageBytes) return false;
    auto* entries = new (reinterpret_cast<void*>(kRmpStorage)) snp::RmpEntry[pages];
    rmp_ = new (storage_) snp::Rmp(warden::PhysAddr(g.hpa_base), std::span<snp::RmpEntry>(entries, pages));
    g_ = &g;
    // RAM and the IGVM memory start private (QEMU sets guest_memfd-backed
    // memory private before the launch), 2 MiB entries where they can be.
    auto make_private = [&](uint64_t from, uint64_t to) {
        for (uint64_t gpa = from; gpa < to; gpa += k2M) {
            const snp::RmpUpdate u{snp::Owner::kGuest, warden::GuestPhysAddr(gpa), snp::PageSize::k2M};
            if (rmp_->rmpupdate(spa(gpa), u) != snp::Status::kSuccess) return false;
        }
        return true;
    };
    return make_private(0, g.size) && make_private(g.igvm_base, g.igvm_base + g.igvm_size);
}

bool ModelRmp::smash_if_2m(uint64_t gpa) {
    const snp::RmpEntry* e = rmp_->find(spa(gpa));
    if (!e || e->size != snp::PageSize::k2M || e->owner != snp::Owner::kGuest) return false;
    return rmp_->psmash(spa(gpa & ~(k2M - 1))) == snp::Status::kSuccess;
}

bool ModelRmp::smash_for_access(uint64_t gpa) {
    TableGuard guard;
    if (!g_->in_memory(gpa, 1) || !smash_if_2m(gpa)) return false;
    npt_refresh(gpa & ~(k2M - 1), k2M);
    return true;
}

// Nothing logs under the table lock: the console lock is taken before it
// elsewhere (fw_cfg DMA asks the RMP under the console lock).
warden::Result<void> ModelRmp::launch_page(uint64_t gpa) {
    TableGuard guard;
    const snp::RmpEntry* e = rmp_->find(spa(gpa));
    if (!g_->in_memory(gpa, 4096) && !g_->flash_page(gpa).empty() && e && e->owner == snp::Owner::kHypervisor) {
        // The firmware's page, the hypervisor's until now (guest_memory.hpp);
        // placed twice, it is the guest's already and the update refuses it.
        const snp::RmpUpdate u{snp::Owner::kGuest, warden::GuestPhysAddr(gpa), snp::PageSize::k4K};
        if (rmp_->rmpupdate(spa(gpa), u) != snp::Status::kSuccess) return warden::Fail(warden::Error::kAlreadyMapped);
    }
    smash_if_2m(gpa);
    auto r = rmp_->launch_update(spa(gpa), snp::LaunchPage{});
    npt_refresh(gpa, 4096);
    return r;
}

PageRights ModelRmp::rights(void* self, unsigned vmpl, uint64_t gpa) {
    const auto* m = static_cast<const ModelRmp*>(self);
    const auto v = m->rmp_->npt_view(vmpl_of(vmpl), warden::GuestPhysAddr(gpa), m->spa(gpa), snp::PageSize::k4K);
    return {{v.private_alias.present, v.private_alias.writable, v.private_alias.executable},
            {v.shared_alias.present, v.shared_alias.writable, v.shared_alias.executable}};
}

bool ModelRmp::share_on_fault(uint64_t gpa) {
    TableGuard guard;
    if (!g_->in_memory(gpa, 4096)) return false;  // the flash is never converted
    const snp::RmpEntry* e = rmp_->find(spa(gpa));
    if (!e || e->owner != snp::Owner::kGuest || e->validated || e->vmsa) return false;
    smash_if_2m(gpa);
    const bool ok = rmp_->rmpupdate(spa(gpa), snp::RmpUpdate{}) == snp::Status::kSuccess;
    npt_refresh(gpa & ~(k2M - 1), k2M);
    return ok;
}

bool ModelRmp::use_shared_alias(uint64_t gpa, bool page_walk) {
    TableGuard guard;
    return npt_use_shared_alias(gpa, page_walk);
}

uint64_t ModelRmp::nested_root(unsigned vmpl, bool paging) {
    TableGuard guard;
    return npt_root(vmpl, paging);
}

PvalidateOutcome ModelRmp::explain_access(unsigned vmpl, uint64_t gpa, bool c_bit, bool write, bool fetch,
                                          bool page_walk, bool user) const {
    TableGuard guard;
    snp::Access a;
    a.vmpl = vmpl_of(vmpl);
    a.gpa = warden::GuestPhysAddr(gpa);
    a.spa = spa(gpa);
    // A fetch at CPL3 needs execute-user, below it execute-supervisor (15.36.7).
    a.kind = fetch   ? (user ? snp::AccessKind::kExecUser : snp::AccessKind::kExecSupervisor)
             : write ? snp::AccessKind::kWrite
                     : snp::AccessKind::kRead;
    a.c_bit = c_bit;
    a.page_walk = page_walk;
    a.npt = snp::PageSize::k4K;
    snp::Outcome o;
    o.fault = rmp_->check_access(a);
    return convert(o);
}

// A guest instruction on the model, as KVM answers it: a 4 KiB operation
// inside a 2 MiB entry faults with a size mismatch, KVM PSMASHes and the
// instruction is retried, once. The nested views are rewritten after.
template <typename Run>
PvalidateOutcome ModelRmp::instruction(uint64_t gpa, Run run) {
    TableGuard guard;
    snp::Outcome o = run();
    if (size_mismatch(o)) {
        smash_if_2m(gpa);
        o = run();
    }
    npt_refresh(gpa & ~(k2M - 1), k2M);
    return convert(o);
}

PvalidateOutcome ModelRmp::pvalidate(unsigned vmpl, uint64_t gpa, uint32_t ecx, uint32_t edx) {
    const snp::PvalidateOp op{vmpl_of(vmpl), warden::GuestPhysAddr(gpa), spa(gpa), ecx, edx};
    return instruction(gpa, [&] { return rmp_->pvalidate(op); });
}

PvalidateOutcome ModelRmp::rmpadjust(unsigned vmpl, uint64_t gpa, uint64_t rcx, uint64_t rdx) {
    const snp::RmpadjustOp op{vmpl_of(vmpl), warden::GuestPhysAddr(gpa), spa(gpa), rcx, rdx};
    return instruction(gpa, [&] { return rmp_->rmpadjust(op); });
}

const char* ModelRmp::page_state_change(uint64_t gpa, bool huge, bool to_private) {
    TableGuard guard;
    if (!g_->in_memory(gpa, huge ? k2M : 4096))
        return "a page outside guest RAM and the IGVM memory (the flash is not converted)";
    if (huge && (gpa & (k2M - 1))) return "a 2 MiB page not 2 MiB aligned";
    // KVM converts what is not already in the state asked (the guest_memfd
    // attributes): a page already the guest's stays as it is, validated or
    // not (an RMPUPDATE would clear Validated, which KVM never does there).
    if (to_private) {
        bool all_guest = true;
        for (uint64_t p = gpa; p < gpa + (huge ? k2M : 4096) && all_guest; p += 4096) {
            const snp::RmpEntry* e = rmp_->find(spa(p));
            all_guest = e && e->owner == snp::Owner::kGuest;
        }
        if (all_guest) return nullptr;
    }
    if (!huge) smash_if_2m(gpa);
    const snp::RmpUpdate u{to_private ? snp::Owner::kGuest : snp::Owner::kHypervisor, warden::GuestPhysAddr(gpa),
                           huge ? snp::PageSize::k2M : snp::PageSize::k4K};
    const snp::Status s = rmp_->rmpupdate(spa(gpa), u);
    npt_refresh(gpa & ~(k2M - 1), k2M);
    switch (s) {
    case snp::Status::kSuccess: return nullptr;
    case snp::Status::kFailOverlap:
        return "RMPUPDATE FAIL_OVERLAP: a 2 MiB page over 4 KiB RMP entries (KVM would take it as 512 4 KiB ones)";
    case snp::Status::kFailPermission: return "RMPUPDATE FAIL_PERMISSION: an immutable (AMD-SP) page";
    default: return "RMPUPDATE refused the operands (FAIL_INPUT)";
    }
}

bool ModelRmp::is_vmsa(uint64_t gpa) const {
    TableGuard guard;
    if (!g_->contains(gpa, 4096)) return false;
    const snp::RmpEntry* e = rmp_->find(spa(gpa));
    return e && e->runnable_vmsa();
}

// Each 4 KiB page of the range through the host row of Table 15-39. The
// host leaf is 4 KiB: snp-host reaches guest RAM through its own 2 MiB
// identity map, a property of this host's page tables rather than of the
// protocol (docs/snp-host.md, "Simplified"). A read is asked the same
// ownership question as a write: a page the RMP gives the guest holds the
// guest's ciphertext for the hypervisor.
const char* ModelRmp::host_access(uint64_t gpa, uint64_t len, bool write) const {
    TableGuard guard;
    if (!g_->in_memory(gpa, len)) return "outside guest RAM and the IGVM memory";
    for (uint64_t page = gpa & ~uint64_t{4095}; page < gpa + len; page += 4096) {
        const snp::Fault f = rmp_->check_host_write(spa(page), snp::PageSize::k4K);
        if (f.allowed()) continue;
        return write ? f.reason
                     : "host read of a page the RMP gives the guest or the AMD-SP (the hypervisor would read "
                       "ciphertext)";
    }
    return nullptr;
}

}  // namespace snp_host
