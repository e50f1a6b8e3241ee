// The SEV-SNP platform (docs/igvm.md): GHCB per CPU, #VC, validation,
// page-state changes, RMP permissions, AP creation, termination.
#pragma once

#include <span>

#include "arch/x86_64/idt.hpp"
#include "platform/platform.hpp"

namespace warden::platform {
Platform& snp(const sev::CpuidInfo& cpuid, sev::Status status);

// The #VC handler (vector 29). Serves the event through this CPU's GHCB (or
// the MSR protocol before it has one) or terminates the VM with a reason of
// set sev::kReasonSetWarden.
void handle_vc(arch::InterruptFrame& frame);
// A task's #VC (CPL3), with the bytes at its RIP (copied through the task's
// tables): CPUID from the CPUID page; false for anything else (the task's
// fault). lib/warden/sev/vc.hpp handle_task_vc.
bool handle_task_vc(arch::InterruptFrame& frame, std::span<const uint8_t> insn);
}  // namespace warden::platform
