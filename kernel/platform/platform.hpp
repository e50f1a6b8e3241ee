// Platform: the one place that knows whether Warden runs on plain x86
// (native: QEMU with TCG or KVM) or under SEV-SNP (DESIGN section 2). Chosen
// once at boot from CPUID 0x8000001F and SEV_STATUS; nothing else branches on
// it, nor on the boot kind. Two faces: the SVSM's own CPU and memory, and the
// guest's (its memory, its pages' validation and rights, its vCPUs).
#pragma once

#include <span>

#include "boot/boot_info.hpp"
#include "warden/addr.hpp"
#include "warden/mm/page_table.hpp"
#include "warden/result.hpp"
#include "warden/sev/detect.hpp"
#include "warden/sev/guest_request.hpp"

namespace warden::platform {

// RMP permission bits for a lower VMPL (SPEC-FACTS.md section 2, RMPADJUST).
inline constexpr uint8_t kRmpRead = 1, kRmpWrite = 2, kRmpExecUser = 4, kRmpExecSupervisor = 8;
inline constexpr uint8_t kRmpAll = kRmpRead | kRmpWrite | kRmpExecUser | kRmpExecSupervisor;

// A range of guest-physical addresses and where the SVSM reaches it: on
// native frames carved out of RAM (the guest has an address space of its
// own), on SNP the same addresses (the guest's RAM is the VM's).
struct GuestRegion {
    PhysRange gpa;
    PhysAddr backing;
    bool flash = false;  // the firmware's flash region, else RAM
    // Validated by the launch, with the firmware the launch measured in it
    // (SNP's flash), rather than left for the SVSM to validate.
    bool launch_validated = false;

    PhysAddr backing_of(PhysAddr a) const { return backing + (a - gpa.base); }
};
inline constexpr size_t kMaxGuestRegions = 16;

// What a validation of a guest page did (PVALIDATE's EAX 0 with CF).
enum class PageChange : uint8_t { kChanged, kUnchanged };

class Platform {
public:
    virtual const char* name() const = 0;
    // The page-table bit that marks private memory (0 on native).
    virtual uint64_t encryption_mask() const = 0;

    // PVALIDATE: make [page, page + size) valid (or invalid) guest memory.
    virtual Result<void> validate(PhysAddr page, mm::PageSize size, bool valid) = 0;
    // Page-state change with the hypervisor (C-bit and RMP) for a range.
    virtual Result<void> make_shared(PhysAddr base, uint64_t pages) = 0;
    virtual Result<void> make_private(PhysAddr base, uint64_t pages) = 0;
    // RMPADJUST: rights of a lower VMPL on a page.
    virtual Result<void> set_rmp_permissions(PhysAddr page, unsigned vmpl, uint8_t permissions) = 0;

    // Boot-time setup from what the launch left (SNP: negotiate the GHCB
    // protocol, adopt the CPUID page, validate the SVSM memory the launch did
    // not). Runs before the frame allocator touches any memory. Native: nothing.
    virtual Result<void> init_boot(const boot::BootInfo& info) = 0;
    // What a CPU needs from the platform before it may touch a port or an
    // MSR: on SNP its GHCB, shared and registered. Runs on that CPU, after
    // its GDT/TSS/IDT, with the kernel address space loaded.
    virtual Result<void> init_cpu(unsigned index) = 0;

    // Port IO and MSR accesses are the instructions on both platforms:
    // under SNP they raise #VC and the platform's handler serves them.

    // Starts an AP: at the real-mode trampoline page (native: INIT-SIPI-SIPI,
    // again if `started` stays 0) or in 64-bit mode straight at `entry`
    // from a VMSA (SNP: AP creation).
    struct ApStart {
        uint32_t apic_id = 0;
        uint8_t sipi_page = 0;
        const volatile uint64_t* started = nullptr;
        uint64_t entry = 0, stack = 0, arg = 0;
        uint64_t cr0 = 0, cr3 = 0, cr4 = 0, efer = 0;
    };
    virtual Result<void> start_ap(const ApStart& start) = 0;
    // Whether start_ap needs the real-mode trampoline at sipi_page (native);
    // SNP starts APs from VMSAs, and the page is the guest's there.
    virtual bool starts_aps_at_trampoline() const = 0;
    // Starts a guest vCPU at its VMPL from a checked VMSA in SVSM memory
    // (copied: the caller keeps its page) and returns the VMSA page the vCPU
    // now runs from, where its state lives while it does not run. Native:
    // kUnsupported, no lower VMPL exists. SNP: AP creation through the GHCB;
    // a VMPL 1-3 context of this very vCPU runs on run_vmpl.
    virtual Result<PhysAddr> start_guest_vcpu(PhysAddr vmsa, uint32_t apic_id, uint64_t sev_features) = 0;
    // The same from a guest page that is the platform's VMSA page already
    // (make_vmsa_page: CREATE_VCPU's), in place, at `vmpl`, for the vCPU
    // with that APIC ID (SNP: AP creation; that CPU's run_vmpl runs it).
    // Native: kUnsupported.
    virtual Result<void> start_guest_vcpu_at(PhysAddr vmsa_page, uint32_t apic_id, uint64_t sev_features,
                                             uint8_t vmpl) = 0;
    // The vCPU with that APIC ID runs no context at `vmpl` (1-3) any more
    // (SNP: AP destruction; the host answers once no CPU runs it, so a
    // run_vmpl of it there has come back or will be refused). Native:
    // kUnsupported.
    virtual Result<void> stop_guest_vcpu(uint32_t apic_id, uint8_t vmpl) = 0;
    // Runs this vCPU's context at `vmpl` (1-3, made by start_guest_vcpu with
    // this CPU's APIC ID) until it asks for VMPL0 again (SNP: RUN_VMPL, GHCB
    // spec 4.1.13). Interrupts stay off meanwhile. Native: kUnsupported.
    virtual Result<void> run_vmpl(uint8_t vmpl) = 0;
    // SNP_GUEST_REQUEST (GHCB exit 0x80000011) on two shared pages: the
    // hypervisor's answer (SW_EXITINFO1, SW_EXITINFO2: its error in bits
    // 63:32, the PSP's status in 31:0). kUnsupported where there is no PSP (native).
    virtual Result<sev::GuestRequestReply> guest_request(PhysAddr request, PhysAddr response) = 0;
    // Ends the VM with a reason (SNP: GHCB termination request).
    [[noreturn]] virtual void terminate(uint16_t reason_set, uint16_t reason) = 0;

    // ---- The guest's face. Mechanism only: what the SVSM may do to the
    // guest, and the bookkeeping that keeps DESIGN 8, live in kernel/svsm.

    // Guest memory from what the loader handed over, never SVSM memory.
    // Native: RAM and a flash region of the guest's own, carved out of RAM
    // and taken out of the direct map. SNP: the loader's RAM (the IGVM
    // MEMORY_MAP parameter) minus the SVSM's memory, and the flash the
    // launch measured a firmware into (validated already). Once, at boot, with
    // frames and the kernel address space up.
    virtual Result<void> init_guest_memory(const boot::BootInfo& info) = 0;
    virtual std::span<const GuestRegion> guest_regions() const = 0;
    // The memory the guest is told is its SVSM's (native, where the SVSM is
    // outside the guest's address space: the kernel image).
    virtual PhysRange svsm_memory() const = 0;
    // Whether the SVSM's own access to a guest page faults unless the page
    // is validated (SNP: a private access to one is #VC 0x404), so that the
    // SVSM must refuse it rather than touch it.
    virtual bool guest_access_needs_validation() const = 0;
    // Whether tasks stand in for the guest (DESIGN 9: native's harness guest,
    // which sees guest memory mapped in its address space); on SNP the guest
    // is a lower VMPL and no task maps its memory.
    virtual bool tasks_play_the_guest() const = 0;
    // The SEV_FEATURES a guest VMSA must carry (native: 0; SNP: the SVSM's own).
    virtual uint64_t guest_sev_features() const = 0;
    // The platform's secrets and CPUID pages (SNP: copies made at boot, 4096
    // bytes each), empty where there are none (native).
    virtual std::span<const uint8_t> secrets_page() const = 0;
    virtual std::span<const uint8_t> cpuid_page() const = 0;

    // Validates or rescinds one guest page of that size (SNP: PVALIDATE
    // through this CPU's window). kMisaligned for a size mismatch (a 2 MiB
    // page over smaller RMP entries: retry as 4 KiB pages) or a misaligned
    // page. Native: no state to change, kChanged.
    virtual Result<PageChange> validate_guest_page(PhysAddr gpa, mm::PageSize size, bool valid) = 0;
    // A lower VMPL's rights on a validated guest page of that size (SNP: one
    // RMPADJUST). kMisaligned for a size mismatch (a 2 MiB page the RMP holds
    // as 4 KiB entries: the caller goes page by page) or a misaligned page.
    // Native: checked, no effect (the tasks that play the guest are mapped
    // and unmapped by kernel/svsm on both platforms).
    virtual Result<void> set_guest_access(PhysAddr gpa, mm::PageSize size, uint8_t vmpl, uint8_t rights) = 0;
    // A validated guest page becomes a VMSA page: only read left to `vmpl`
    // (SNP: edk2's MpInitLib reads the page back after CREATE_VCPU) and the
    // RMP's VMSA attribute set; and back, with `rights`.
    virtual Result<void> make_vmsa_page(PhysAddr gpa, uint8_t vmpl) = 0;
    virtual Result<void> unmake_vmsa_page(PhysAddr gpa, uint8_t vmpl, uint8_t rights) = 0;
    // A guest page mapped in this CPU's window: platform/guest_window.hpp.

protected:
    ~Platform() = default;
};

struct Detection {
    sev::CpuidInfo cpuid;
    sev::Status status;
    sev::PlatformKind kind = sev::PlatformKind::kNative;
};

// Reads CPUID 0x8000001F (where the CPU has the leaf) and SEV_STATUS (only
// where CPUID says SEV exists: elsewhere the read raises #GP).
Detection detect();

// Whether port IO works from the entry (the early console may print at once).
// Under IGVM the platform is SNP, whose port IO needs this CPU's GHCB first
// (init_cpu): the console holds its lines until then.
bool port_io_at_entry(boot::BootKind kind);

// Picks and remembers the platform. kUnsupported for SEV or SEV-ES without SNP.
Result<void> init(const Detection& d);
Platform& current();

}  // namespace warden::platform
