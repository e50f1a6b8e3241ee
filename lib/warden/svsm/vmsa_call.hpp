// An SVSM call as it sits in the guest's VMSA page once the guest is back
// at VMPL0 (SNP: RUN_VMPL; SPEC-FACTS.md 6 and 7): the call in RAX, its
// arguments in RCX, RDX, R8 and R9, and why the CPU left the guest, decoded
// from a copy of the page; and the results written back into the page
// before the guest runs again.
#pragma once

#include <span>

#include "warden/result.hpp"
#include "warden/svsm/core.hpp"

namespace warden::svsm {

// VMSA offsets (SPEC-FACTS 6; Linux struct sev_es_save_area).
inline constexpr size_t kVmsaRaxOffset = 0x1f8, kVmsaRcxOffset = 0x308, kVmsaRdxOffset = 0x310, kVmsaR8Offset = 0x340,
                        kVmsaR9Offset = 0x348, kVmsaEferOffset = 0x0d0;
inline constexpr uint64_t kVmsaEferSvme = uint64_t{1} << 12;
// GUEST_EXITCODE (APM vol. 2 Table B-4): the CPU writes there why it left
// the guest's VMPL; a VMGEXIT is 0x403 (APM vol. 2 Table C-1).
inline constexpr size_t kVmsaGuestExitCodeOffset = 0x3c0;
inline constexpr uint64_t kExitVmgexit = 0x403;
// The prefix of the page the call's registers and the exit code lie in.
inline constexpr size_t kVmsaCallBytes = kVmsaGuestExitCodeOffset + 8;

// Why the guest came back to VMPL0, and its registers then.
struct VmsaExit {
    CallRegs regs;
    uint64_t exit_code = 0;
};

// Only a VMGEXIT is the guest's request: a physical interrupt or a HLT can
// take the vCPU to VMPL0 after its write of call_pending and before its
// VMGEXIT (its registers half set); serving that would answer a call not
// yet made and leave the real one unanswered. COCONUT-SVSM's request loop
// serves VMGEXITs only (kernel/src/vmm/execloop.rs).
inline constexpr bool is_request(uint64_t exit_code) { return exit_code == kExitVmgexit; }

// The guest's exit from a copy of its VMSA page (at least kVmsaCallBytes,
// else kOutOfRange). Any register values and exit code are an exit: the
// dispatcher checks them, this only reads them.
Result<VmsaExit> decode_exit(std::span<const uint8_t> vmsa_copy);

// Writes RAX, RCX, RDX, R8 and R9 into the VMSA page (at least
// kVmsaCallBytes, else kOutOfRange, nothing written); no other byte changes.
Result<void> store_results(std::span<uint8_t> vmsa, const CallRegs& regs);

// Whether the VMSA's XCR0 (at 0x3e8) is one XSETBV takes on a CPU with the
// components `supported` (CPUID 0xD/0 EDX:EAX; SDM vol. 1 13.3): x87 set,
// nothing the CPU lacks, AVX with SSE, the three AVX-512 components together
// and with AVX. A VMRUN from any other fails; the guest wrote it. False for
// a page too short to hold it.
inline constexpr size_t kVmsaXcr0Offset = 0x3e8;
bool vmsa_xcr0_valid(std::span<const uint8_t> vmsa, uint64_t supported);

// EFER.SVME of the VMSA: clear while VMPL0 reads and edits it, so that no
// one runs the vCPU from a half-written page (COCONUT-SVSM's request loop
// does the same), set again before it runs. kOutOfRange for a short page.
Result<void> set_runnable(std::span<uint8_t> vmsa, bool runnable);

}  // namespace warden::svsm
