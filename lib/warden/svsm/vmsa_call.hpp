// An SVSM call as it sits in the guest's VMSA page once the guest has asked
// for VMPL0 (SNP: RUN_VMPL; SPEC-FACTS.md 6 and 7): the call in RAX, its
// arguments in RCX, RDX, R8 and R9, decoded from a copy of the page; and the
// results written back into the page before the guest runs again.
#pragma once

#include <span>

#include "warden/result.hpp"
#include "warden/svsm/core.hpp"

namespace warden::svsm {

// VMSA offsets (SPEC-FACTS.md 6; Linux struct sev_es_save_area).
inline constexpr size_t kVmsaRaxOffset = 0x1f8, kVmsaRcxOffset = 0x308, kVmsaRdxOffset = 0x310, kVmsaR8Offset = 0x340,
                        kVmsaR9Offset = 0x348, kVmsaEferOffset = 0x0d0;
inline constexpr uint64_t kVmsaEferSvme = uint64_t{1} << 12;
// The prefix of the page the call's registers lie in.
inline constexpr size_t kVmsaCallBytes = kVmsaR9Offset + 8;

// The guest's call from a copy of its VMSA page (at least kVmsaCallBytes,
// else kOutOfRange). Any register values are a call: the dispatcher checks
// them, this only reads them.
Result<CallRegs> decode_call(std::span<const uint8_t> vmsa_copy);

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
