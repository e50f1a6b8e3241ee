// The policy of what only VMPL0 does for the guest (DESIGN 1, kernel/svsm):
// its memory (never SVSM memory), reached only through a per-CPU window,
// never mapped permanently in the kernel; validation of its pages on its
// behalf and the rights its VMPL gets on them; the vCPUs it creates. These
// are the narrow kernel calls behind the request loop's system calls, and
// they enforce DESIGN section 8 themselves, whatever the caller checked.
//
// The mechanism is the platform's guest face (platform/platform.hpp): on
// native bookkeeping with the same observable rules as on SNP, on SNP
// PVALIDATE and RMPADJUST (docs/svsm.md). This layer keeps the record of
// every guest page's validation and of the pages taken out of the guest's
// hands, the same on both.
#pragma once

#include "boot/boot_info.hpp"
#include "platform/platform.hpp"
#include "warden/svsm/core.hpp"

namespace warden::task {
struct Task;
}

namespace warden::guest {

// The VMPL the guest runs at (a kernel constant, set by the Meson option
// guest_vmpl, 2 by default): VMPL1 stays free for a service at that level.
#ifndef WARDEN_GUEST_VMPL
#define WARDEN_GUEST_VMPL 2
#endif
inline constexpr uint8_t kGuestVmpl = WARDEN_GUEST_VMPL;
static_assert(kGuestVmpl >= 1 && kGuestVmpl <= 3, "guest_vmpl: 1, 2 or 3");

// The initial Calling Areas (one page per vCPU) start this far into the
// guest's first RAM range; on native the low half of RAM is the firmware's,
// the high half holds these and the harness guest's pages.
inline constexpr uint64_t kCaaOffset = 4 << 20;

using Region = platform::GuestRegion;

// The platform's guest memory, the windows and the validation record. On
// native the pages start not validated; on SNP too (the launch validates
// only SVSM memory), and the guest's VMPL gets its rights on a page when
// the page is validated for it.
Result<void> init(const boot::BootInfo& info);

std::span<const Region> regions();
PhysRange memory();  // the guest's first RAM range (native: all its RAM)
PhysRange flash();   // where the firmware image maps (native), else empty
// Whether all of r is guest memory.
bool is_guest_memory(PhysRange r);
// DESIGN 8's rule, the check every access on the guest's behalf makes (the
// copies, PVALIDATE and CREATE_VCPU's Calling Area, each atomically with the
// change it guards): all of r is guest memory and none of it a page taken out
// of the guest's hands (a VMSA, live or being checked). On native SVSM memory
// is not in the guest's address space at all.
bool in_guest_hands(PhysRange r);

// Copies through this CPU's window; kOutOfRange outside guest memory,
// kDenied when the range is not in the guest's hands, or (where the
// platform faults on it: SNP) holds a page not validated (nothing copied).
Result<void> read(PhysAddr gpa, void* out, size_t len);
Result<void> write(PhysAddr gpa, const void* in, size_t len);
// The same straight to or from a task's memory at buf (no bounce buffer: one
// window mapping per guest page); the task's address errors as its copies report them.
Result<void> read_to_task(task::Task& t, uint64_t buf, PhysAddr gpa, size_t len);
Result<void> write_from_task(task::Task& t, uint64_t buf, PhysAddr gpa, size_t len);

// What the guest is told about its SVSM and itself: SVSM memory (under
// IGVM the launch's; on native, where the SVSM is outside the guest's
// address space, the kernel image), the VMPL it runs at and its VMSAs'
// SEV_FEATURES (the platform's).
PhysRange svsm_memory();
uint8_t vmpl();
uint64_t sev_features();
// A firmware image the launch put into the flash region (IGVM), else empty.
PhysRange launched_firmware();

// kDenied for a page (or a 2 MiB page holding one) not in the guest's hands.
// A page validated for the guest is zeroed, then its VMPL gets all rights
// on it (one 2 MiB grant where the page is 2 MiB); a page rescinded loses
// them first.
Result<svsm::PvalidateOutcome> pvalidate(PhysAddr page, bool huge, bool validate);

// CREATE_VCPU (svsm::GuestServices::create_vcpu's contract): the VMSA page
// is taken out of the guest's reach (the platform's VMSA page: on SNP no
// rights left to the guest's VMPL and the RMP's VMSA attribute; on native
// unmapped from every task that plays the guest) before the kernel checks
// its contents itself, and given back if they do not fit. kMisaligned, kOutOfRange, kNotFound (APIC ID),
// kDenied (the Calling Area is on a taken page; SNP: the VMSA page is not
// validated, so no VMSA can be made of it), kAlreadyMapped (the VMSA
// page is taken already), kBusy (table full), kInvalidArgument (contents).
Result<void> create_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t apic_id);
// CREATE_VCPU as the request loop asks it: create_vcpu, then where the
// kernel runs the guest, its start on the target vCPU at the guest's VMPL
// from the page itself (AP creation), which that CPU's request loop runs;
// kInvalidArgument for an XCR0 the CPU would refuse, kBusy when another
// start for that CPU is under way. A failed start gives the page back.
// Where that CPU runs a vCPU the guest created, that one is stopped (its
// VMSA stays live until DELETE_VCPU) and the new one starts in its place, as
// an OS re-creating an AP expects (COCONUT-SVSM replaces it too); the vCPU
// the loader started is never replaced: the VMSA is created (taken, live)
// and not started.
Result<void> create_and_start_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t apic_id);
// kOutOfRange outside guest memory, kNotFound unless vmsa is a live vCPU's
// VMSA; a vCPU some CPU runs is stopped first (detach_vcpu); then the page
// is the guest's again.
Result<void> delete_vcpu(PhysAddr vmsa);

// Starts a guest vCPU from the VMSA in frame (SVSM memory, the kernel's
// copy): kInvalidArgument unless it fits the guest (svsm::vmsa_fits_guest),
// kNotFound for an APIC ID no CPU has, kBusy when that CPU runs a guest vCPU
// already, then whatever the platform answers (kUnsupported on native).
// That CPU's request loop then runs it, starting with the Calling Area caa.
Result<void> start_vcpu(PhysAddr frame, uint32_t apic_id, PhysAddr caa);

// ---- The guest vCPU each CPU runs (guest_vcpus.cpp), where the kernel runs
// the guest (SNP: at kGuestVmpl by RUN_VMPL); on native tasks play it.
bool kernel_runs_guest();
// Records that the CPU with apic_id runs the vCPU whose state is in the
// VMSA page vmsa (svsm_owned: a page of SVSM memory, else a guest page taken
// as a VMSA), its request loop starting with Calling Area caa. kNotFound
// for an APIC ID no online CPU has, kBusy when that CPU has one already.
Result<void> attach_vcpu(uint32_t apic_id, PhysAddr vmsa, bool svsm_owned, PhysAddr caa);
// A start on the CPU with apic_id, reserved before the platform is asked,
// so that two starts for one CPU cannot both reach the platform: kNotFound
// for an APIC ID no online CPU has, kBusy when it runs a vCPU or another
// start is under way. attach_vcpu ends the reservation; release_vcpu
// drops it when the start failed.
Result<void> reserve_vcpu(uint32_t apic_id);
void release_vcpu(uint32_t apic_id);
// Whether the CPU with apic_id runs a guest vCPU (attached).
bool cpu_runs_vcpu(uint32_t apic_id);
// DELETE_VCPU's first step: where a CPU runs the vCPU whose VMSA is that
// guest page, the platform stops it (SNP: AP destruction at the guest's
// VMPL), then that CPU's loop lets go of the page (this waits for it) and
// the CPU has no vCPU until the next start. false where no CPU runs it
// (nothing done), kBusy while another DELETE_VCPU of it is under way, else
// the platform's error (the vCPU goes on).
Result<bool> detach_vcpu(PhysAddr vmsa);
// CREATE_VCPU's for a CPU that runs a vCPU the guest created (a VMSA on a
// guest page): that vCPU is stopped and let go as by detach_vcpu, its VMSA
// staying live (DELETE_VCPU gives it back). false where the CPU runs none,
// or the vCPU the loader started (SVSM memory), which no CREATE_VCPU replaces.
Result<bool> detach_guest_created(uint32_t apic_id);
// What the guest asked when it came back to VMPL0: its call and why it
// left (from a copy of the VMSA page; a call only if a VMGEXIT,
// svsm::is_request), and the start it belongs to (the Calling Area it began
// with).
struct GuestExit {
    svsm::CallRegs call;
    uint64_t exit_code = 0;
    PhysAddr caa;
    uint64_t start = 0;
};
// Runs this CPU's guest vCPU until it asks for VMPL0, first writing results
// (null: none, the last exit was not a call) into its VMSA page when they
// answer a call of its start (results_start; else they are dropped).
// kUnsupported where the kernel does not run the guest, kNotFound while this
// CPU has no guest vCPU (or DELETE_VCPU stops it, or the platform refuses to
// run it: the guest destroyed it by AP destruction), else the platform's or
// the page's error.
Result<GuestExit> run_vcpu(const svsm::CallRegs* results, uint64_t results_start);

// The initial Calling Area of the vCPU on CPU index.
PhysAddr initial_caa(unsigned cpu_index);
// Validation and vCPU changes made on the guest's behalf so far by the
// request loop of one CPU (writes to guest memory and VMSA revocations that
// were undone do not count).
uint64_t mutations(unsigned cpu_index);
// Whether page is validated (the record both platforms keep; for tests).
bool is_validated(PhysAddr page);

// The guest's secrets page, from the platform's (SNP: its VMPCKs of VMPLs
// above the guest's cleared; native: no keys) with the SVSM fields set:
// SVSM memory, the BSP's Calling Area caa, core protocol version 1, the
// guest's VMPL. And the guest's CPUID page: the platform's, as it is
// (kNotFound where the platform has none: native).
Result<void> make_secrets_page(PhysAddr caa, std::span<uint8_t, kPageSize> out);
Result<void> make_cpuid_page(std::span<uint8_t, kPageSize> out);
// Writes a page the kernel made (one of the two above) to gpa for the
// guest's loader: kMisaligned unless page-aligned, kOutOfRange outside guest
// memory, kDenied unless in the guest's hands and validated for it -- on
// every platform, checked atomically with the write as every copy is, so
// the guest finds it where it must already be its own.
Result<void> place_page(PhysAddr gpa, std::span<const uint8_t, kPageSize> page);

}  // namespace warden::guest
