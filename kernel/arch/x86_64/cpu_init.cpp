// Per-CPU table setup shared by the BSP and the APs.
#include "arch/x86_64/cpu_init.hpp"

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/idt.hpp"

namespace warden::arch {
namespace {

constexpr unsigned kKernelStackPages = 4;  // 16 KiB
constexpr unsigned kIstStackPages = 2;     // 8 KiB

constexpr unsigned kNmiVector = 2, kDoubleFaultVector = 8, kMachineCheckVector = 18, kVmmCommunicationVector = 29;

}  // namespace

Result<CpuStacks> allocate_cpu_stacks(unsigned index) {
    CpuStacks s;
    WARDEN_TRY(kernel, mm::allocate_stack("kernel", index, kKernelStackPages));
    WARDEN_TRY(df, mm::allocate_stack("double-fault", index, kIstStackPages));
    WARDEN_TRY(nmi, mm::allocate_stack("nmi", index, kIstStackPages));
    WARDEN_TRY(mc, mm::allocate_stack("machine-check", index, kIstStackPages));
    WARDEN_TRY(vc, mm::allocate_stack("vmm-communication", index, kIstStackPages));
    s.kernel = kernel;
    s.double_fault = df;
    s.nmi = nmi;
    s.machine_check = mc;
    s.vmm_communication = vc;
    return s;
}

void init_cpu_tables(PerCpu& c, const CpuStacks& s) {
    uint64_t ist[7] = {};
    ist[kIstDoubleFault - 1] = s.double_fault.top.raw();
    ist[kIstNmi - 1] = s.nmi.top.raw();
    ist[kIstMachineCheck - 1] = s.machine_check.top.raw();
    ist[kIstVmmCommunication - 1] = s.vmm_communication.top.raw();
    c.kernel_rsp = s.kernel.top.raw();
    load_cpu_tables(c.tables, ist, c.kernel_rsp);
    set_ist(kDoubleFaultVector, kIstDoubleFault);
    set_ist(kNmiVector, kIstNmi);
    set_ist(kMachineCheckVector, kIstMachineCheck);
    set_ist(kVmmCommunicationVector, kIstVmmCommunication);
}

}  // namespace warden::arch
