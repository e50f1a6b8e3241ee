// Serving a #VC (VMM communication exception) through the GHCB: the events
// the kernel itself causes under SEV-SNP (CPUID, port IO including string
// forms, RDMSR/WRMSR, RDTSC/RDTSCP). The hypervisor's answers are copied back
// into the interrupted registers only from fields it marked valid. Anything
// else is refused, and the caller terminates the VM with a reason code.
#pragma once

#include <span>

#include "warden/sev/ghcb.hpp"
#include "warden/sev/page_state.hpp"

namespace warden::sev {

struct VcRegs {
    uint64_t rax = 0, rbx = 0, rcx = 0, rdx = 0, rsi = 0, rdi = 0, rip = 0;
};

// The interrupted code's memory, for the string forms of IN and OUT.
class VcMemory {
public:
    virtual bool read(uint64_t va, void* out, size_t len) = 0;
    virtual bool write(uint64_t va, const void* in, size_t len) = 0;

protected:
    ~VcMemory() = default;
};

// exit_code: the #VC error code. insn: the bytes at RIP. On success the
// registers hold the results and RIP points past the instruction.
// kUnsupported: an event or instruction this handler does not serve;
// kDenied: the hypervisor reported failure; kInvalidArgument: it did not
// mark a result register valid.
Result<void> handle_vc(uint64_t exit_code, VcRegs& regs, std::span<const uint8_t> insn, Ghcb& ghcb, uint64_t ghcb_gpa,
                       Hypervisor& hv, VcMemory& memory);

}  // namespace warden::sev
