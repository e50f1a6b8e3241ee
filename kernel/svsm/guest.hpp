// The guest as the SVSM sees it: its memory (never SVSM memory), reached
// only through a per-CPU window, never mapped permanently in the kernel;
// validation of its pages on its behalf; the vCPUs it creates. These are
// the narrow kernel calls behind the request loop's system calls, and they
// enforce DESIGN section 8 themselves, whatever the caller checked.
//
// On native the guest has its own physical address space, as a nested guest
// would: two regions of guest-physical addresses (RAM and the firmware's
// flash), each backed by frames carved out of RAM at boot and taken out of
// the direct map. Validation and VMSA-page revocation are bookkeeping with
// the same observable rules as on SNP (docs/svsm.md).
#pragma once

#include "boot/boot_info.hpp"
#include "warden/svsm/core.hpp"

namespace warden::task {
struct Task;
}

namespace warden::guest {

// Native guest-physical layout. RAM starts at 8 MiB, where OVMF's SEV
// metadata puts its pages: the low half is the firmware's, the high half
// holds the initial Calling Areas (and the harness guest's pages). The flash
// region ends at 4 GiB, where a firmware image maps (docs/bios_loader.md).
inline constexpr PhysRange kNativeRam{PhysAddr(0x800000), 8 << 20};
inline constexpr uint64_t kNativeCaaOffset = 4 << 20;
inline constexpr PhysRange kNativeFlash{PhysAddr((uint64_t{1} << 32) - (2 << 20)), 2 << 20};

// A range of guest-physical addresses and the frames behind it.
struct Region {
    PhysRange gpa;
    PhysAddr backing;
};

Result<void> init(const boot::BootInfo& info);

std::span<const Region> regions();
PhysRange memory();  // guest RAM
PhysRange flash();   // where the firmware image maps
// Whether all of r is guest memory.
bool is_guest_memory(PhysRange r);
// DESIGN 8's rule, the check every access on the guest's behalf makes (the
// copies, PVALIDATE and CREATE_VCPU's Calling Area, each atomically with the
// change it guards): all of r is guest memory and none of it a page taken out
// of the guest's hands (a VMSA, live or being checked). On native SVSM memory
// is not in the guest's address space at all.
bool in_guest_hands(PhysRange r);

// Copies through this CPU's window; kOutOfRange outside guest memory,
// kDenied when the range is not in the guest's hands (nothing copied).
Result<void> read(PhysAddr gpa, void* out, size_t len);
Result<void> write(PhysAddr gpa, const void* in, size_t len);
// The same straight to or from a task's memory at buf (no bounce buffer: one
// window mapping per guest page); the task's address errors as its copies report them.
Result<void> read_to_task(task::Task& t, uint64_t buf, PhysAddr gpa, size_t len);
Result<void> write_from_task(task::Task& t, uint64_t buf, PhysAddr gpa, size_t len);

// What the guest is told about its SVSM and itself: SVSM memory (under
// IGVM the launch's; on native, where the SVSM is outside the guest's
// address space, the kernel image), the VMPL it runs at and its VMSAs'
// SEV_FEATURES.
PhysRange svsm_memory();
uint8_t vmpl();
uint64_t sev_features();
// A firmware image the launch put into the flash region (IGVM), else empty.
PhysRange launched_firmware();

// kDenied for a page (or a 2 MiB page holding one) not in the guest's hands.
Result<svsm::PvalidateOutcome> pvalidate(PhysAddr page, bool huge, bool validate);

// CREATE_VCPU (svsm::GuestServices::create_vcpu's contract): the VMSA page
// is taken out of the guest's reach (native: unmapped from every task that
// plays the guest) before the kernel checks its contents itself, and given
// back if they do not fit. kMisaligned, kOutOfRange, kNotFound (APIC ID),
// kDenied (the Calling Area is on a taken page), kAlreadyMapped (the VMSA
// page is taken already), kBusy (table full), kInvalidArgument (contents).
Result<void> create_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t apic_id);
// kOutOfRange outside guest memory, kNotFound unless vmsa is a live vCPU's
// VMSA; then the page is the guest's again.
Result<void> delete_vcpu(PhysAddr vmsa);

// Starts a guest vCPU from the VMSA in frame (SVSM memory, the kernel's
// copy): kInvalidArgument unless it fits the guest (svsm::vmsa_fits_guest),
// kNotFound for an APIC ID no CPU has, then whatever the platform answers
// (kUnsupported on native).
Result<void> start_vcpu(PhysAddr frame, uint32_t apic_id);

// The initial Calling Area of the vCPU on CPU index.
PhysAddr initial_caa(unsigned cpu_index);
// Validation and vCPU changes made on the guest's behalf so far by the
// request loop of one CPU (writes to guest memory and VMSA revocations that
// were undone do not count).
uint64_t mutations(unsigned cpu_index);
// Whether page is validated (native bookkeeping; for tests).
bool is_validated(PhysAddr page);

}  // namespace warden::guest
