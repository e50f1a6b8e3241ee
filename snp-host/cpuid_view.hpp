// The CPUID the emulated SNP machine reports: the host CPU's, with the SEV
// leaf 0x8000001F filled in as an SNP-capable AMD CPU reports it (TCG has
// none: QEMU-FACTS). The same view builds the CPUID page the hypervisor
// proposes at launch, is what the PSP checks that page against, and answers
// the guest's CPUID requests, so the page and the answers cannot disagree.
#pragma once

#include "warden/sev/cpuid_table.hpp"

namespace snp_host {

// The C-bit of this host: 4-level nested paging translates 48 bits
// (-cpu ...,phys-bits=48), so the top GPA bit carries it (probe section 4).
inline constexpr uint8_t kCBit = 47;

warden::sev::CpuidResult emulated_cpuid(uint32_t leaf, uint32_t subleaf);

}  // namespace snp_host
