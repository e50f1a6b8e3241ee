// The emulated PSP's guest-message side (docs/attestation.md): the chip's
// signing key (the VCEK's role), the guest's context (its VMPCKs and what
// its reports say) and SNP_GUEST_REQUEST served through lib's
// warden/snp/psp_guest_request.hpp, with Debian's libbearssl linked
// freestanding. One PSP for the machine: requests are served one at a time.
#pragma once

#include <span>

#include "launch.hpp"
#include "vcpu.hpp"
#include "warden/snp/psp_guest_request.hpp"

namespace snp_host {

// On each host CPU before the PSP's code runs there: SSE on (CR0.MP,
// CR4.OSFXSR and OSXMMEXCPT; the host's own code never uses it) and FS.base
// at the CPU's block whose +0x28 holds the stack protector's canary, as
// BearSSL's objects (built -fstack-protector-strong for glibc) read it.
void psp_cpu_init(unsigned cpu);

// After the launch, on the BSP: this boot's chip key from the CPU's entropy
// and the guest's context from the launch (VMPCKs, policy, digest), a chip
// ID and report ID of its own; the key's public half is printed (the role
// of the VCEK certificate). false, with a line saying why, when the CPU
// gives no entropy or the key cannot be made.
bool psp_init(const Launched& launched);

// One SNP_GUEST_REQUEST from vCPU v: `request` a copy of the guest's request
// page; `response` written when the answer's status is kFwSuccess. The
// context's vector state is saved around the crypto.
warden::snp::PspAnswer psp_guest_request(Vcpu& v, std::span<const uint8_t, 4096> request,
                                         std::span<uint8_t, 4096> response);

}  // namespace snp_host
