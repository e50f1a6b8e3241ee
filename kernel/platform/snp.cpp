// SEV-SNP platform. The encodings and algorithms are in lib/warden/sev and
// host-tested against fake hypervisors; this file binds them to the
// instructions (PVALIDATE, RMPADJUST, VMGEXIT, the GHCB MSR).
// NOTHING HERE HAS RUN ON SNP HARDWARE (none is available to the project):
// docs/igvm.md says what is wired and in which order it runs.
#include "platform/snp.hpp"

#include <cstring>

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/idt.hpp"
#include "arch/x86_64/percpu.hpp"
#include "log.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "platform/guest_window.hpp"
#include "warden/igvm/guest_ram.hpp"
#include "warden/sev/page_state.hpp"
#include "warden/sev/protocol.hpp"
#include "warden/sev/vc.hpp"
#include "warden/sev/vmsa.hpp"

namespace warden::platform {
namespace {

using sev::msr::kGhcbMsr;

// PVALIDATE through the current physical window (identity before the
// kernel address space, the direct map after).
class InstructionValidator final : public sev::Validator {
public:
    Result<sev::Validation> pvalidate(PhysAddr page, bool huge, bool valid) override {
        const auto r = arch::pvalidate(reinterpret_cast<uint64_t>(mm::phys_to_virt(page)), huge, valid);
        return sev::pvalidate_outcome(r.eax, r.carry);
    }
};

// The GHCB MSR protocol. Once a GHCB is registered the MSR holds its GPA:
// an exchange puts it back.
class MsrProtocol final : public sev::MsrChannel {
public:
    uint64_t exchange(uint64_t request) override {
        const uint64_t saved = arch::rdmsr(kGhcbMsr);
        arch::wrmsr(kGhcbMsr, request);
        arch::vmgexit();
        const uint64_t response = arch::rdmsr(kGhcbMsr);
        arch::wrmsr(kGhcbMsr, saved);
        return response;
    }
};

struct CpuGhcb {
    sev::Ghcb* page = nullptr;  // mapped with the C-bit clear; in use once registered
    PhysAddr gpa;
    bool registered = false;
    bool in_vc = false;  // a #VC inside the handler would clobber the GHCB: terminate
};
CpuGhcb ghcbs[arch::kMaxCpus];

// VMGEXIT with this CPU's GHCB.
class GhcbExit final : public sev::Hypervisor {
public:
    explicit GhcbExit(PhysAddr gpa) : gpa_(gpa) {}
    Result<void> vmgexit(sev::Ghcb&) override {
        arch::wrmsr(kGhcbMsr, gpa_.raw());
        arch::vmgexit();
        return {};
    }

private:
    PhysAddr gpa_;
};

// The interrupted kernel code's memory (a #VC from a task stops the task).
class KernelMemory final : public sev::VcMemory {
public:
    bool read(uint64_t va, void* out, size_t len) override {
        if (!kernel_range(va, len)) return false;
        std::memcpy(out, reinterpret_cast<const void*>(va), len);
        return true;
    }
    bool write(uint64_t va, const void* in, size_t len) override {
        if (!kernel_range(va, len)) return false;
        std::memcpy(reinterpret_cast<void*>(va), in, len);
        return true;
    }
    bool translate_shared(uint64_t va, uint64_t& gpa) override {
        auto t = mm::kernel_mapper().translate(VirtAddr(va));
        if (!t || t->flags.encrypted) return false;
        gpa = t->phys.raw();
        return true;
    }

private:
    static bool kernel_range(uint64_t va, size_t len) {
        return va >= mm::kDirectMapBase && va + len >= va && mm::kernel_mapper().translate(VirtAddr(va)) &&
               mm::kernel_mapper().translate(VirtAddr(va + len - 1));
    }
};

alignas(8) uint8_t cpuid_page_copy[kPageSize];
alignas(8) uint8_t secrets_page_copy[kPageSize];  // the PSP's, with every VMPCK: SVSM memory only
sev::CpuidTable cpuid_table;
bool have_cpuid_table = false;

class Snp final : public Platform {
public:
    const char* name() const override { return "sev-snp"; }
    uint64_t encryption_mask() const override { return mask; }

    Result<void> validate(PhysAddr page, mm::PageSize size, bool valid) override {
        if (size == mm::PageSize::k1G) return Fail(Error::kInvalidArgument);
        // One page of that size, as PVALIDATE takes it (and as native answers):
        // not 512 small pages for a misaligned 2 MiB one.
        if (!page.is_aligned(mm::page_bytes(size))) return Fail(Error::kMisaligned);
        InstructionValidator v;
        WARDEN_TRY_VOID(sev::validate_range(v, PhysRange{page, mm::page_bytes(size)}, valid));
        return {};
    }

    Result<void> make_shared(PhysAddr base, uint64_t pages) override {
        InstructionValidator v;
        WARDEN_TRY_VOID(sev::validate_range(v, PhysRange{base, pages * kPageSize}, false));
        return change_state(base, pages, sev::PscOp::kShared);
    }
    Result<void> make_private(PhysAddr base, uint64_t pages) override {
        WARDEN_TRY_VOID(change_state(base, pages, sev::PscOp::kPrivate));
        InstructionValidator v;
        WARDEN_TRY_VOID(sev::validate_range(v, PhysRange{base, pages * kPageSize}, true));
        return {};
    }

    Result<void> set_rmp_permissions(PhysAddr page, unsigned vmpl, uint8_t permissions) override {
        if (vmpl == 0 || vmpl > 3 || permissions > 0xf) return Fail(Error::kInvalidArgument);
        return rmpadjust(page, sev::rmpadjust_attributes(static_cast<uint8_t>(vmpl), permissions, false));
    }

    Result<void> init_boot(const boot::BootInfo& info) override {
        MsrProtocol ch;
        auto n = sev::negotiate(ch, c_bit);
        if (!n) {
            log::error("sev-snp: GHCB protocol negotiation failed: {}", n.error());
            terminate(sev::msr::kReasonSetGeneral, n.error() == Error::kBadVersion ? sev::msr::kReasonProtocolVersion
                                                                                   : sev::msr::kReasonSnpFeatures);
        }
        features = n->features;
        if (info.launch.c_bit != c_bit) {
            log::error("sev-snp: CPUID says C-bit {}, the measured boot block {}", c_bit, info.launch.c_bit);
            terminate(sev::kReasonSetWarden, sev::kReasonLaunchMismatch);
        }
        // The CPUID page: copied first, parsed from the copy, answers every CPUID from now on.
        std::memcpy(cpuid_page_copy, mm::phys_to_virt(info.launch.cpuid), kPageSize);
        if (auto t = sev::CpuidTable::parse(cpuid_page_copy)) {
            cpuid_table = *t;
            have_cpuid_table = true;
            log::info("sev-snp: CPUID page with {} entries", t->size());
        } else {
            log::warn("sev-snp: unusable CPUID page ({}): CPUID goes to the hypervisor", t.error());
        }
        std::memcpy(secrets_page_copy, mm::phys_to_virt(info.launch.secrets), kPageSize);
        // SVSM memory the launch did not validate.
        InstructionValidator v;
        auto count = sev::validate_range(v, info.launch.svsm, true);
        if (!count) {
            log::error("sev-snp: validating SVSM memory at {:#x}: {}", info.launch.svsm.base.raw(), count.error());
            terminate(sev::kReasonSetWarden, sev::kReasonMemoryAcceptance);
        }
        log::info("sev-snp: GHCB protocol {}, features {:#x}; SVSM memory validated: {} x 2M + {} x 4K, {} already",
                  n->version, features, count->changed_2m, count->changed_4k, count->unchanged);
        return {};
    }

    // This CPU's GHCB: a fresh frame, rescinded and made shared through the
    // MSR protocol, mapped with the C-bit clear, zeroed, then registered.
    // Without it nothing can be reported (port IO needs it): a failure
    // terminates with its own reason.
    Result<void> init_cpu(unsigned index) override {
        if (auto r = setup_ghcb(ghcbs[index]); !r) terminate(sev::kReasonSetWarden, sev::kReasonGhcbSetup);
        return {};
    }

    // The AP's VMSA: 64-bit at the entry, on the BSP's page tables; a page
    // that is not 2 MiB aligned (AMD erratum: such a VMSA page may fault),
    // made a VMSA page by RMPADJUST, then AP creation through the GHCB.
    bool starts_aps_at_trampoline() const override { return false; }
    Result<void> start_ap(const ApStart& s) override {
        if (s.arg >= arch::kMaxCpus) return Fail(Error::kOutOfRange);
        if (!ghcbs[s.arg].page) WARDEN_TRY_VOID(prepare_ghcb(ghcbs[s.arg]));
        const uint64_t sev_features = status.raw >> 2;  // SEV_STATUS bit n+2 = SEV_FEATURES bit n
        const auto bytes = sev::make_vmsa_long_mode(sev::LongModeState{.rip = s.entry,
                                                                       .rsp = s.stack,
                                                                       .rdi = s.arg,
                                                                       .cr0 = s.cr0,
                                                                       .cr3 = s.cr3,
                                                                       .cr4 = s.cr4,
                                                                       .efer = s.efer,
                                                                       .sev_features = sev_features});
        WARDEN_TRY_VOID(create_vcpu_from(bytes.data(), s.apic_id, sev_features, 0));
        return {};
    }

    // The steps of start_ap at the VMSA's own VMPL (guest::start_vcpu checks
    // the VMSA against the guest first; the emulated SNP host's VMPL images
    // use it directly).
    Result<PhysAddr> start_guest_vcpu(PhysAddr vmsa, uint32_t apic_id, uint64_t sev_features) override {
        const auto* bytes = mm::phys_to_virt<uint8_t>(vmsa);
        return create_vcpu_from(bytes, apic_id, sev_features, bytes[kVmsaVmplOffset]);
    }

    Result<void> start_guest_vcpu_at(PhysAddr vmsa_page, uint32_t apic_id, uint64_t sev_features,
                                     uint8_t vmpl) override {
        if (vmpl == 0 || vmpl > 3) return Fail(Error::kInvalidArgument);
        if (!(features & sev::msr::kHvFeatureApCreation) || !(features & sev::msr::kHvFeatureMultiVmpl))
            return Fail(Error::kUnsupported);
        return create_ap(vmsa_page, apic_id, sev_features, vmpl);
    }

    Result<void> stop_guest_vcpu(uint32_t apic_id, uint8_t vmpl) override {
        if (vmpl == 0 || vmpl > 3) return Fail(Error::kInvalidArgument);
        return through_own_ghcb(
            [&](GhcbExit& hv, sev::Ghcb& page) { return sev::destroy_ap(hv, page, apic_id, vmpl); });
    }

    Result<sev::GuestRequestReply> guest_request(PhysAddr request, PhysAddr response) override {
        Result<sev::GuestRequestReply> reply = Fail(Error::kUnsupported);
        WARDEN_TRY_VOID(through_own_ghcb([&](GhcbExit& hv, sev::Ghcb& page) -> Result<void> {
            reply = sev::guest_request(hv, page,
                                       sev::GuestRequest{.request_gpa = request.raw(), .response_gpa = response.raw()});
            return reply ? Result<void>{} : Result<void>(Fail(reply.error()));
        }));
        return reply;
    }

    // The lower VMPL runs on this CPU meanwhile, interrupts off (through_own_ghcb).
    Result<void> run_vmpl(uint8_t vmpl) override {
        if (vmpl == 0) return Fail(Error::kInvalidArgument);
        return through_own_ghcb([&](GhcbExit& hv, sev::Ghcb& page) { return sev::run_vmpl(hv, page, vmpl); });
    }

    [[noreturn]] void terminate(uint16_t reason_set, uint16_t reason) override {
        // The GHCB MSR protocol: needs no GHCB page, and no console.
        arch::wrmsr(kGhcbMsr,
                    sev::msr::terminate_request(static_cast<uint8_t>(reason_set), static_cast<uint8_t>(reason)));
        arch::vmgexit();
        arch::halt_forever();  // a hypervisor that resumes us after termination gets a halted vCPU
    }

    Result<void> init_guest_memory(const boot::BootInfo& info) override;
    std::span<const GuestRegion> guest_regions() const override { return {regions_, region_count_}; }
    PhysRange svsm_memory() const override { return svsm_; }
    bool guest_access_needs_validation() const override { return true; }
    bool tasks_play_the_guest() const override { return false; }
    uint64_t guest_sev_features() const override { return status.raw >> 2; }  // SEV_STATUS bit n+2 = SEV_FEATURES bit n
    std::span<const uint8_t> secrets_page() const override { return secrets_page_copy; }
    std::span<const uint8_t> cpuid_page() const override { return cpuid_page_copy; }

    // PVALIDATE through a window whose address is aligned as the page is.
    Result<PageChange> validate_guest_page(PhysAddr gpa, mm::PageSize size, bool valid) override {
        if (size == mm::PageSize::k1G) return Fail(Error::kInvalidArgument);
        if (!gpa.is_aligned(mm::page_bytes(size))) return Fail(Error::kMisaligned);
        const GuestWindow w(gpa, size == mm::PageSize::k2M ? WindowFor::kLargePage : WindowFor::kAccess);
        WARDEN_TRY_VOID(w.status());
        const auto r = arch::pvalidate(w.va(), size == mm::PageSize::k2M, valid);
        WARDEN_TRY(v, sev::pvalidate_outcome(r.eax, r.carry));
        return v == sev::Validation::kUnchanged ? PageChange::kUnchanged : PageChange::kChanged;
    }

    // One RMPADJUST through this CPU's window (FAIL_SIZEMISMATCH is kMisaligned).
    Result<void> set_guest_access(PhysAddr gpa, mm::PageSize size, uint8_t vmpl, uint8_t rights) override {
        if (vmpl == 0 || vmpl > 3 || rights > kRmpAll || size == mm::PageSize::k1G)
            return Fail(Error::kInvalidArgument);
        if (!gpa.is_aligned(mm::page_bytes(size))) return Fail(Error::kMisaligned);
        return guest_rmpadjust(gpa, size == mm::PageSize::k2M, sev::rmpadjust_attributes(vmpl, rights, false));
    }

    // The VMSA attribute can only be set from VMPL0, in an RMPADJUST aimed at
    // a lower VMPL; aimed at the guest's, it leaves that VMPL read only, no
    // write and no execution. COCONUT-SVSM leaves none; but edk2's MpInitLib
    // (SevSnpPerformApAction, edk2-stable202502 as Debian 13 ships it) reads
    // the VMSA's VMPL and SEV_FEATURES back after CREATE_VCPU returns, for
    // its own AP creation exit, and without read it faults there (APM vol. 2
    // 15.36.7). The page holds only that VMPL's own registers; the integrity
    // the SVSM spec asks for (no change after the check) is the write
    // right's, which it never has (docs/svsm.md).
    Result<void> make_vmsa_page(PhysAddr gpa, uint8_t vmpl) override {
        if (vmpl == 0 || vmpl > 3) return Fail(Error::kInvalidArgument);
        if (!gpa.is_aligned(kPageSize)) return Fail(Error::kMisaligned);
        return guest_rmpadjust(gpa, false, sev::rmpadjust_attributes(vmpl, kRmpRead, true));
    }
    Result<void> unmake_vmsa_page(PhysAddr gpa, uint8_t vmpl, uint8_t rights) override {
        if (vmpl == 0 || vmpl > 3 || rights > kRmpAll) return Fail(Error::kInvalidArgument);
        if (!gpa.is_aligned(kPageSize)) return Fail(Error::kMisaligned);
        return guest_rmpadjust(gpa, false, sev::rmpadjust_attributes(vmpl, rights, false));
    }

    uint64_t mask = 0;
    uint8_t c_bit = 0;
    uint64_t features = 0;
    sev::Status status;

private:
    static constexpr size_t kVmsaVmplOffset = 0x0ca;  // SPEC-FACTS.md 6

    GuestRegion regions_[kMaxGuestRegions];
    size_t region_count_ = 0;
    PhysRange svsm_;

    static Result<void> guest_rmpadjust(PhysAddr gpa, bool huge, uint64_t attributes) {
        const GuestWindow w(gpa, huge ? WindowFor::kLargePage : WindowFor::kAccess);
        WARDEN_TRY_VOID(w.status());
        return sev::rmpadjust_outcome(arch::rmpadjust(w.va(), huge, attributes));
    }

    // A vCPU from a VMSA: copied into a page that is not 2 MiB aligned (some
    // CPUs cannot run one that is), given the VMSA attribute (through target
    // VMPL1: any lower VMPL will do), then AP creation at `vmpl` through the
    // GHCB. The VMSA page stays allocated for the vCPU's life.
    Result<PhysAddr> create_vcpu_from(const uint8_t* vmsa_bytes, uint32_t apic_id, uint64_t sev_features,
                                      uint8_t vmpl) {
        if (!(features & sev::msr::kHvFeatureApCreation)) return Fail(Error::kUnsupported);
        if (vmpl != 0 && !(features & sev::msr::kHvFeatureMultiVmpl)) return Fail(Error::kUnsupported);
        WARDEN_TRY(pair, mm::alloc_zeroed(1));
        const PhysAddr vmsa = pair.is_aligned(kLargePageSize) ? pair + kPageSize : pair;
        std::memcpy(mm::phys_to_virt(vmsa), vmsa_bytes, sev::kVmsaSize);
        if (auto r = rmpadjust(vmsa, sev::rmpadjust_attributes(1, 0, true)); !r) {
            mm::free_frames(pair, 1);  // not a VMSA page: safe to reuse
            return Fail(r.error());
        }
        WARDEN_TRY_VOID(create_ap(vmsa, apic_id, sev_features, vmpl));
        return vmsa;
    }

    // An exit through this CPU's GHCB page with interrupts off, as they were
    // after: an interrupt's #VC would reuse the page (the guest's starts and
    // runs come in system calls, interrupts on).
    template <typename F>
    static Result<void> through_own_ghcb(F&& exit) {
        const bool interrupts = arch::read_rflags() & (1u << 9);
        arch::cli();
        CpuGhcb& g = ghcbs[arch::this_cpu().index];
        GhcbExit hv(g.gpa);
        auto r = exit(hv, *g.page);
        if (interrupts) arch::sti();
        return r;
    }

    static Result<void> create_ap(PhysAddr vmsa, uint32_t apic_id, uint64_t sev_features, uint8_t vmpl) {
        return through_own_ghcb([&](GhcbExit& hv, sev::Ghcb& page) {
            return sev::create_ap(
                hv, page,
                sev::ApCreate{.apic_id = apic_id, .vmsa_gpa = vmsa.raw(), .sev_features = sev_features, .vmpl = vmpl});
        });
    }

    // An AP's GHCB is prepared by the CPU that starts it: remapping the page
    // shared may need a TLB shootdown, whose IPI goes through the xAPIC, which
    // under SNP is MMIO and needs a GHCB the new AP does not have yet (the
    // emulated SNP host found the third vCPU terminating on that #VC).
    Result<void> setup_ghcb(CpuGhcb& g) {
        if (!g.page) WARDEN_TRY_VOID(prepare_ghcb(g));
        MsrProtocol ch;
        WARDEN_TRY_VOID(sev::register_ghcb(ch, g.gpa));
        g.registered = true;
        return {};
    }
    Result<void> prepare_ghcb(CpuGhcb& g) {
        WARDEN_TRY(frame, mm::alloc_frames(0));
        MsrProtocol ch;
        InstructionValidator v;
        WARDEN_TRY_VOID(sev::share_page_msr(ch, v, frame));
        auto* va = mm::phys_to_virt<sev::Ghcb>(frame);
        WARDEN_TRY_VOID(
            mm::kernel_mapper().protect(VirtAddr(reinterpret_cast<uint64_t>(va)), kPageSize,
                                        mm::MapFlags{.writable = true, .global = true, .encrypted = false}));
        std::memset(va, 0, kPageSize);
        g.gpa = frame;
        g.page = va;
        return {};
    }
    Result<void> change_state(PhysAddr base, uint64_t pages, sev::PscOp op) {
        if (!base.is_aligned(kPageSize)) return Fail(Error::kMisaligned);
        CpuGhcb& g = ghcbs[arch::this_cpu().index];
        if (!g.page || !g.registered) return Fail(Error::kBusy);
        GhcbExit hv(g.gpa);
        sev::PscRequest batch[64];
        while (pages > 0) {
            const uint64_t n = pages < 64 ? pages : 64;
            for (uint64_t i = 0; i < n; ++i) batch[i] = sev::PscRequest{(base.raw() >> 12) + i, op, false};
            WARDEN_TRY_VOID(
                sev::change_page_state(hv, *g.page, g.gpa.raw(), std::span<const sev::PscRequest>(batch, n)));
            base += n * kPageSize;
            pages -= n;
        }
        return {};
    }
    static Result<void> rmpadjust(PhysAddr page, uint64_t attributes) {
        const uint64_t va = reinterpret_cast<uint64_t>(mm::phys_to_virt(page));
        return sev::rmpadjust_outcome(arch::rmpadjust(va, false, attributes));
    }
};

// The loader's RAM (the host's MEMORY_MAP: what it says is RAM) minus the
// SVSM's memory, in whole pages (lib/warden/igvm/guest_ram.hpp). The
// guest's VMPL has no rights on any of it yet: a page not validated cannot
// be granted (RMPADJUST of one is #VC 0x404), so the grant comes with the
// page's validation (kernel/svsm).
Result<void> Snp::init_guest_memory(const boot::BootInfo& info) {
    svsm_ = info.launch.svsm;
    PhysRange ram[kMaxGuestRegions];
    WARDEN_TRY(n, igvm::guest_ram(info.loader_memory, svsm_, ram));
    for (size_t i = 0; i < n; ++i) {
        regions_[i] = GuestRegion{ram[i], ram[i].base, false};
        log::info(
            "guest: {:#x}..{:#x} ({} KiB): the loader's RAM minus SVSM memory; no rights for the guest until "
            "validated",
            ram[i].base.raw(), ram[i].end().raw(), ram[i].size / 1024);
    }
    // The firmware's flash: private and validated by the launch, with the
    // image the launch measured (docs/bios_loader.md). It must stay clear of
    // RAM and of SVSM memory: the boot block is measured, but a region table
    // with overlaps would break every rule kernel/svsm keeps.
    const PhysRange fw = info.firmware;
    if (fw.size != 0) {
        if (!fw.base.is_aligned(kPageSize) || fw.size % kPageSize != 0 || fw.overlaps(svsm_) || n == kMaxGuestRegions)
            return Fail(Error::kInvalidArgument);
        for (size_t i = 0; i < n; ++i) {
            if (fw.overlaps(ram[i])) return Fail(Error::kOverlap);
        }
        regions_[n++] = GuestRegion{fw, fw.base, true, true};  // kernel/svsm logs it
    }
    region_count_ = n;
    return {};
}

Snp instance;

uint8_t vc_reason(Error e) {
    switch (e) {
    case Error::kUnsupported: return sev::kReasonVcUnsupported;
    case Error::kDenied: return sev::kReasonVcRefused;
    default: return sev::kReasonVcBadAnswer;
    }
}

}  // namespace

Platform& snp(const sev::CpuidInfo& cpuid, sev::Status status) {
    instance.mask = cpuid.c_bit_mask();
    instance.c_bit = cpuid.c_bit;
    instance.status = status;
    return instance;
}

bool handle_task_vc(arch::InterruptFrame& f, std::span<const uint8_t> insn) {
    sev::VcRegs r = x86::registers_of(f);
    if (!sev::handle_task_vc(f.error_code, r, insn, have_cpuid_table ? &cpuid_table : nullptr)) return false;
    x86::write_registers(f, r);
    return true;
}

// Vector 29. Registered on every platform: only SEV-ES/SNP raise it.
void handle_vc(arch::InterruptFrame& f) {
    const unsigned cpu = arch::this_cpu().index;
    CpuGhcb& g = ghcbs[cpu];
    if (g.in_vc) instance.terminate(sev::kReasonSetWarden, sev::kReasonVcNested);
    g.in_vc = true;
    sev::VcRegs r = x86::registers_of(f);
    uint8_t insn[15];
    std::memcpy(insn, reinterpret_cast<const void*>(f.rip), sizeof insn);  // kernel text: mapped
    const sev::CpuidTable* table = have_cpuid_table ? &cpuid_table : nullptr;
    Result<void> done = Fail(Error::kUnsupported);
    if (g.page && g.registered) {
        GhcbExit hv(g.gpa);
        KernelMemory mem;
        done = sev::handle_vc(f.error_code, r, insn, sev::VcContext{*g.page, g.gpa.raw(), hv, mem, table});
    } else {
        MsrProtocol ch;  // before this CPU's GHCB: CPUID only
        done = sev::handle_vc_early(f.error_code, r, insn, ch, table);
    }
    if (!done) instance.terminate(sev::kReasonSetWarden, vc_reason(done.error()));
    x86::write_registers(f, r);
    g.in_vc = false;
}

}  // namespace warden::platform
