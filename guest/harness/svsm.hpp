// The harness guest's SVSM calls (SVSM spec 58019; SPEC-FACTS 7):
// call_pending set in its Calling Area, the registers loaded, RUN_VMPL to
// VMPL0 -- by the GHCB page (exit 0x80000018) once it has one, by the MSR
// protocol (0x016) before -- and the answer read from the same registers.
#pragma once

#include "vcpu.hpp"
#include "warden/svsm/core.hpp"

namespace harness {

struct CallResult {
    warden::svsm::CallRegs regs;
    bool ran = false;  // the hypervisor ran VMPL0 and came back (RUN_VMPL answered 0)
};

CallResult svsm_call(Vcpu& v, warden::svsm::CallRegs in, bool pending = true);

// RUN_VMPL without call_pending: nothing is served, VMPL0 gets its turn
// (this CPU's other tasks, and the IPIs its kernel answers).
void give_vmpl0_its_turn(Vcpu& v);

}  // namespace harness
