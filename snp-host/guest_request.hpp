// The SNP guest request (VMGEXIT 0x80000011 / 0x80000012) on a host without
// the PSP path: lib's answer (warden/svm/guest_request.hpp) with the page
// checks only the host can make, the RMP's (host_access.hpp).
#pragma once

#include "vcpu.hpp"
#include "warden/svm/guest_request.hpp"

namespace snp_host {

// Checks the request as a host that would forward it must (the request page
// readable, the response page and any certificate buffer writable by the
// hypervisor: inside guest memory and shared), answers, and logs one line.
// Until attestation is modelled the answer is "unsupported" (a hypervisor
// error, no firmware status): the guest request is never refused.
warden::svm::ExitAnswer answer_guest_request(Vcpu& v, const warden::svm::GuestRequestExit& e);

}  // namespace snp_host
