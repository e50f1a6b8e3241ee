// The SEV-SNP platform. Detection and the encryption mask work now; every
// operation that needs the GHCB, PVALIDATE or RMPADJUST answers kUnsupported
// ("not yet on SNP") until the SNP issue (7) implements it.
#pragma once

#include "platform/platform.hpp"

namespace warden::platform {
Platform& snp(const sev::CpuidInfo& cpuid, sev::Status status);
}
