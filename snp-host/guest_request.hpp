// The SNP guest request (VMGEXIT 0x80000011 / 0x80000012): lib's checks of
// the exit (warden/svm/guest_request.hpp) and the page checks only the host
// can make, the RMP's (host_access.hpp); then the emulated PSP (psp.hpp).
#pragma once

#include "vcpu.hpp"
#include "warden/svm/guest_request.hpp"

namespace snp_host {

// Checks the request as a forwarding host must (the request page readable,
// the response page and any certificate buffer writable by the hypervisor:
// inside guest memory and shared), hands a copy of the request page to the
// PSP, writes its response page back when it answered, and logs one line.
// SW_EXITINFO2 carries the PSP's status (bits 31:0), as KVM returns it. The
// extended form gets no certificates (an empty table). Never a refusal of
// the run: the guest gets every answer.
warden::svm::ExitAnswer answer_guest_request(Vcpu& v, const warden::svm::GuestRequestExit& e);

}  // namespace snp_host
