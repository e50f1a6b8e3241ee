// SVSM calls through the Calling Area and RUN_VMPL (svsm.hpp).
#include "svsm.hpp"

#include "cpu.hpp"
#include "warden/sev/ghcb_msr.hpp"

namespace harness {

using namespace warden;

CallResult svsm_call(Vcpu& v, svsm::CallRegs in, bool pending) {
    *reinterpret_cast<volatile uint8_t*>(v.caa) = pending ? 1 : 0;
    cpu::SvsmRegs r{in.rax, in.rcx, in.rdx, in.r8, in.r9};
    CallResult out;
    if (v.ghcb_ready) {
        sev::Ghcb& g = v.area->ghcb;
        g.begin();
        g.set_exit(sev::exit::kRunVmpl, 0, 0);  // exit_info_1 7:0: VMPL0
        cpu::wrmsr(cpu::kGhcbMsr, gpa_of(&g));
        cpu::vmgexit_svsm(r);
        out.ran = static_cast<bool>(g.check_result());
    } else {
        cpu::wrmsr(cpu::kGhcbMsr, sev::msr::run_vmpl_request(0));
        cpu::vmgexit_svsm(r);
        out.ran = static_cast<bool>(sev::msr::check_run_vmpl(cpu::rdmsr(cpu::kGhcbMsr)));
    }
    out.regs = svsm::CallRegs{.rax = r.rax, .rcx = r.rcx, .rdx = r.rdx, .r8 = r.r8, .r9 = r.r9};
    return out;
}

void give_vmpl0_its_turn(Vcpu& v) { (void)svsm_call(v, svsm::CallRegs{}, false); }

}  // namespace harness
