// Serving a #VC (VMM communication exception) through the GHCB: the events
// the kernel itself causes under SEV-SNP (CPUID, port IO including string
// forms, RDMSR/WRMSR, MMIO through the MOV forms of x86/mov_decode.hpp,
// RDTSC/RDTSCP). CPUID comes from the SNP CPUID page when one was given.
// The hypervisor's answers are copied back into the interrupted registers
// only from fields it marked valid. Anything else is refused, and the caller
// terminates the VM with a reason code.
#pragma once

#include <span>

#include "warden/sev/cpuid_table.hpp"
#include "warden/sev/ghcb.hpp"
#include "warden/sev/page_state.hpp"
#include "warden/sev/protocol.hpp"
#include "warden/x86/regs.hpp"

namespace warden::sev {

using VcRegs = x86::Registers;

inline constexpr uint64_t kVcExitNpf = 0x400;  // the #VC error code of an MMIO access

// The interrupted code's memory, for the string forms of IN and OUT, and
// its page tables, for the guest-physical address of an MMIO access.
class VcMemory {
public:
    virtual bool read(uint64_t va, void* out, size_t len) = 0;
    virtual bool write(uint64_t va, const void* in, size_t len) = 0;
    // The GPA behind va, which must be mapped shared (C-bit clear): MMIO
    // through a private mapping is refused (false).
    virtual bool translate_shared(uint64_t va, uint64_t& gpa) = 0;

protected:
    ~VcMemory() = default;
};

// What a #VC is served with: this CPU's GHCB and its GPA, the hypervisor,
// the interrupted code's memory and, when the launch provided one, the
// copied CPUID page.
struct VcContext {
    Ghcb& ghcb;
    uint64_t ghcb_gpa;
    Hypervisor& hv;
    VcMemory& memory;
    const CpuidTable* cpuid = nullptr;
};

// exit_code: the #VC error code. insn: the bytes at RIP. On success the
// registers hold the results and RIP points past the instruction.
// kUnsupported: an event or instruction this handler does not serve;
// kDenied: the hypervisor reported failure; kInvalidArgument: it did not
// mark a result register valid, or the memory an instruction names is not
// reachable (or, for MMIO, not shared).
Result<void> handle_vc(uint64_t exit_code, VcRegs& regs, std::span<const uint8_t> insn, const VcContext& ctx);

// A #VC a task (CPL3) raised: CPUID alone, and only from the PSP-checked
// CPUID page (a task's CPUID is never passed to the hypervisor); everything
// else, or no table, kUnsupported (the kernel stops the task, naming the
// fault). glibc's start-up and OpenSSL's capability probe execute CPUID.
Result<void> handle_task_vc(uint64_t exit_code, VcRegs& regs, std::span<const uint8_t> insn, const CpuidTable* table);

// Before a CPU has its GHCB only CPUID can be served: from the CPUID page,
// else one MSR-protocol exchange per register. Everything else kUnsupported.
Result<void> handle_vc_early(uint64_t exit_code, VcRegs& regs, std::span<const uint8_t> insn, MsrChannel& ch,
                             const CpuidTable* table);

}  // namespace warden::sev
