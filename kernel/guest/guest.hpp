// The guest as the SVSM sees it: its memory (never SVSM memory), reached
// only through a per-CPU window, never mapped permanently in the kernel;
// validation of its pages on its behalf; the vCPUs it creates. These are
// the narrow kernel calls behind the request loop's system calls, and they
// enforce DESIGN section 8 themselves, whatever the caller checked.
//
// On native the guest's memory is carved out of RAM at boot (kNativeBytes,
// 2 MiB aligned) and taken out of the direct map; validation and VMSA-page
// revocation are bookkeeping with the same observable rules as on SNP
// (docs/svsm.md).
#pragma once

#include "boot/boot_info.hpp"
#include "warden/svsm/core.hpp"

namespace warden::guest {

inline constexpr uint64_t kNativeBytes = 4 << 20;

Result<void> init(const boot::BootInfo& info);

// The guest memory range (one, on both platforms for now).
PhysRange memory();
bool is_guest_memory(PhysRange r);

// Copies through this CPU's window; kOutOfRange outside guest memory.
Result<void> read(PhysAddr gpa, void* out, size_t len);
Result<void> write(PhysAddr gpa, const void* in, size_t len);

Result<svsm::PvalidateOutcome> pvalidate(PhysAddr page, bool huge, bool validate);

// The guest's access to a VMSA page (native: unmapped from every task that
// plays the guest). kAlreadyMapped/kNotMapped when it is not in that state.
Result<void> set_vmsa_access(PhysAddr vmsa, bool revoked);
Result<void> create_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t apic_id);
Result<void> delete_vcpu(PhysAddr vmsa);

// The initial Calling Area of the vCPU on CPU index.
PhysAddr initial_caa(unsigned cpu_index);
// Validation and vCPU changes made on the guest's behalf so far by the
// request loop of one CPU (writes to guest memory and VMSA revocations that
// were undone do not count).
uint64_t mutations(unsigned cpu_index);
// Whether page is validated (native bookkeeping; for tests).
bool is_validated(PhysAddr page);

}  // namespace warden::guest
