// The VMSA: an SEV-ES/SNP vCPU's saved state, 4 KiB (Linux struct
// sev_es_save_area; SPEC-FACTS.md 6). Built for the first vCPU of an IGVM
// image and, later, for APs.
#pragma once

#include <array>

#include "warden/types.hpp"

namespace warden::sev {

inline constexpr size_t kVmsaSize = 4096;
inline constexpr uint64_t kSevFeatureSnpActive = 1;  // SEV_FEATURES bit 0
inline constexpr uint64_t kEferSvme = 1u << 12;      // required in an SEV-ES/SNP VMSA

struct VmsaState {
    uint64_t rip = 0;
    uint64_t rbx = 0;
    uint64_t sev_features = kSevFeatureSnpActive;
    uint8_t vmpl = 0;
};

// A VMSA that starts in 32-bit protected mode, paging off, flat 4 GiB code and
// data segments (the state a PVH entry expects), with the given RIP and RBX.
std::array<uint8_t, kVmsaSize> make_vmsa_protected_mode(const VmsaState& s);

}  // namespace warden::sev
