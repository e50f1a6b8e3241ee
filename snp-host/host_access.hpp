// The host's own accesses to guest memory, made for the guest (issue 16
// item 3: never silently allowed). Every read or write of guest RAM the
// hypervisor makes on the protocol's behalf goes through here and asks the
// RMP first (RmpSeam::host_access): the GHCB page (copy and write-back), the
// buffers sw_scratch names outside it (string IO, MMIO, page-state change),
// and fw_cfg DMA (the guest's descriptor and the device's transfer, whose
// writes an SNP IOMMU holds to the same RMP: port_io.cpp). All of that is
// shared memory by the GHCB spec (56421 2.3.2, 4.1) and the fw_cfg DMA
// interface: a private page is refused, whether the host would
// write it (a #PF with the RMP bit on hardware, APM vol. 2 15.36.10 Table
// 15-39 host row) or read it (ciphertext).
//
// Accesses that do not come through here, and why the hardware allows them:
// - the launch's placement of pages (launch.cpp): SNP_LAUNCH_UPDATE copies
//   and encrypts them, the PSP's work, not a host write (SNP ABI 56860);
// - AP creation's copy of the VMSA page (vmgexit.cpp), and RUN_VMPL's load
//   of a VMPL 1-3 context from its VMSA page and store back into it at its
//   #VMEXIT (vcpu.cpp load_context, store_state): how this host models the
//   CPU's VMRUN and #VMEXIT reading and writing the VMSA, which the CPU does
//   with the guest's key (APM vol. 2 15.35, SEV-ES state in the VMSA; 15.36.12), not the hypervisor;
// - the guest's page tables, IDT, TSS and instruction bytes read, and the
//   #VC frame written, through the guest's mappings (vcpu.cpp): the CPU's
//   own page walk and exception delivery, which this host performs in
//   software (docs/snp-host.md, "#VC is built in software"); the CPU's RMP
//   check is made there instead, at the context's VMPL (cpu_access_refusal),
//   except for the page walk's table reads.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "vcpu.hpp"

namespace snp_host {

enum class HostUse : uint8_t { kRead = 1, kWrite = 2, kReadWrite = 3 };

// Why the host may not make that access to [gpa, gpa + len), or nullptr.
const char* host_access_refusal(const Vcpu& v, uint64_t gpa, uint64_t len, HostUse use);

// The host's view of [gpa, gpa + len) for that use. Empty when refused: the
// report line is printed ("<what>: <why>") and the caller stops the run.
std::span<uint8_t> shared_guest_bytes(Vcpu& v, uint64_t gpa, uint64_t len, HostUse use, std::string_view what);

// The same check without a view (a device transfer): false when refused, reported.
bool host_may_access(Vcpu& v, uint64_t gpa, uint64_t len, HostUse use, std::string_view what);

}  // namespace snp_host
