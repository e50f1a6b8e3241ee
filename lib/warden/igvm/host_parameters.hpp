// What the host writes into an IGVM file's parameter areas at launch (igvm_defs
// IGVM_VHS_PARAMETER_AREA, _PARAMETER, _PARAMETER_INSERT; QEMU backends/igvm.c):
// its memory map in a MEMORY_MAP area, its vCPU count in a VP_COUNT area, at
// every GPA the area is inserted. The file is untrusted input: every body is
// size-checked and every write lands inside its area and inside guest memory.
// The emulated SNP host (snp-host/launch.cpp) uses it; the launch walk
// (snp_launch.hpp) measures the same pages as UNMEASURED.
#pragma once

#include <span>

#include "warden/igvm/igvm.hpp"

namespace warden::igvm {

struct HostParameters {
    uint64_t ram_bytes = 0;  // guest RAM from GPA 0: one normal memory-map entry
    uint32_t vcpus = 1;      // QEMU -smp
};

// The guest's memory as the host holds it: [gpa, gpa + len), or empty when
// any byte of it is not guest memory.
class GuestWindow {
public:
    virtual std::span<uint8_t> bytes(uint64_t gpa, uint64_t len) = 0;

protected:
    ~GuestWindow() = default;
};

inline constexpr size_t kMaxHostParameterAreas = 16;

// Returns the number of inserts written. The areas are expected zeroed (the
// launch leaves inserted pages zero); a memory map is one entry and the zero
// entry after it. Errors: kInvalidArgument (a body too short), kOutOfRange
// (an area index of 16 or more, a parameter that does not fit its area, an
// insert outside guest memory), kNotFound (an insert of an undeclared area).
Result<size_t> place_host_parameters(const File& file, const HostParameters& p, GuestWindow& guest);

}  // namespace warden::igvm
