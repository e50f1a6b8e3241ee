// Platform: the one place that knows whether Warden runs on plain x86
// (native: QEMU with TCG or KVM) or under SEV-SNP (DESIGN section 2). Chosen
// once at boot from CPUID 0x8000001F and SEV_STATUS; nothing else branches on it.
#pragma once

#include "boot/boot_info.hpp"
#include "warden/addr.hpp"
#include "warden/mm/page_table.hpp"
#include "warden/result.hpp"
#include "warden/sev/detect.hpp"

namespace warden::platform {

// RMP permission bits for a lower VMPL (SPEC-FACTS.md section 2, RMPADJUST).
inline constexpr uint8_t kRmpRead = 1, kRmpWrite = 2, kRmpExecUser = 4, kRmpExecSupervisor = 8;

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
    // Runs this vCPU's context at `vmpl` (1-3, made by start_guest_vcpu with
    // this CPU's APIC ID) until it asks for VMPL0 again (SNP: RUN_VMPL, GHCB
    // spec 4.1.13). Interrupts stay off meanwhile. Native: kUnsupported.
    virtual Result<void> run_vmpl(uint8_t vmpl) = 0;
    // Ends the VM with a reason (SNP: GHCB termination request).
    [[noreturn]] virtual void terminate(uint16_t reason_set, uint16_t reason) = 0;

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

// Picks and remembers the platform. kUnsupported for SEV or SEV-ES without SNP.
Result<void> init(const Detection& d);
Platform& current();

}  // namespace warden::platform
