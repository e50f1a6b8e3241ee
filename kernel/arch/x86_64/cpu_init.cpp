// Per-CPU table setup shared by the BSP and the APs.
#include "arch/x86_64/cpu_init.hpp"

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/idt.hpp"

namespace warden::arch {
namespace {

constexpr unsigned kNmiVector = 2, kDoubleFaultVector = 8, kMachineCheckVector = 18, kVmmCommunicationVector = 29;

}  // namespace

void init_cpu_tables(PerCpu& c, const CpuStacks& s) {
    uint64_t ist[7] = {};
    ist[kIstDoubleFault - 1] = s.double_fault.raw();
    ist[kIstNmi - 1] = s.nmi.raw();
    ist[kIstMachineCheck - 1] = s.machine_check.raw();
    ist[kIstVmmCommunication - 1] = s.vmm_communication.raw();
    c.kernel_rsp = s.kernel.raw();
    load_cpu_tables(c.tables, ist, c.kernel_rsp);
    set_ist(kDoubleFaultVector, kIstDoubleFault);
    set_ist(kNmiVector, kIstNmi);
    set_ist(kMachineCheckVector, kIstMachineCheck);
    set_ist(kVmmCommunicationVector, kIstVmmCommunication);
}

}  // namespace warden::arch
