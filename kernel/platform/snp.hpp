// The SEV-SNP platform (docs/igvm.md): GHCB per CPU, #VC, validation,
// page-state changes, RMP permissions, AP creation, termination.
#pragma once

#include "arch/x86_64/idt.hpp"
#include "platform/platform.hpp"

namespace warden::platform {
Platform& snp(const sev::CpuidInfo& cpuid, sev::Status status);

// The #VC handler (vector 29). Serves the event through this CPU's GHCB (or
// the MSR protocol before it has one) or terminates the VM with a reason of
// set sev::kReasonSetWarden.
void handle_vc(arch::InterruptFrame& frame);
}  // namespace warden::platform
