// The harness guest's MSR protocol, GHCB exits and GHCB bring-up (ghcb.hpp).
#include "ghcb.hpp"

#include <cstring>

#include "boot.hpp"
#include "cpu.hpp"
#include "svsm.hpp"
#include "warden/sev/detect.hpp"

extern "C" uint64_t probe_read(uint64_t va);

namespace harness {

using namespace warden;

uint64_t MsrProtocol::exchange(uint64_t request) {
    cpu::wrmsr(cpu::kGhcbMsr, request);
    cpu::vmgexit();
    const uint64_t response = cpu::rdmsr(cpu::kGhcbMsr);
    if (v_.ghcb_ready) cpu::wrmsr(cpu::kGhcbMsr, gpa_of(&v_.area->ghcb));
    return response;
}

Result<void> GhcbExit::vmgexit(sev::Ghcb& ghcb) {
    cpu::wrmsr(cpu::kGhcbMsr, gpa_of(&ghcb));
    cpu::vmgexit();
    return {};
}

namespace {

// PVALIDATE for lib's share_page_msr: a VMPL2 guest asks its SVSM (core
// call 1, one 4 KiB entry in this vCPU's list page).
class SvsmValidator final : public sev::Validator {
public:
    explicit SvsmValidator(Vcpu& v) : v_(v) {}
    Result<sev::Validation> pvalidate(PhysAddr page, bool huge, bool valid) override {
        uint8_t* list = v_.area->list;
        const uint64_t entry = svsm::encode_pvalidate_entry(svsm::PvalidateEntry{page, huge, valid, false});
        const uint64_t header = 1;  // one entry, next 0
        std::memcpy(list, &header, 8);
        std::memcpy(list + 8, &entry, 8);
        const auto r =
            svsm_call(v_, svsm::CallRegs{.rax = svsm::call_rax(svsm::kProtocolCore, 1), .rcx = gpa_of(list)});
        if (!r.ran) return Fail(Error::kDenied);
        if (r.regs.rax == svsm::kSuccess) return sev::Validation::kChanged;
        if (r.regs.rax == svsm::kErrPvalidateNoChange) return sev::Validation::kUnchanged;
        return Fail(Error::kDenied);
    }

private:
    Vcpu& v_;
};

}  // namespace

void bring_up_ghcb(Vcpu& v) {
    MsrProtocol ch(v);
    const unsigned c_bit = static_cast<unsigned>(__builtin_ctzll(v.c_bit));
    auto n = sev::negotiate(ch, static_cast<uint8_t>(c_bit));
    if (!n || (n->features & sev::msr::kHvFeatureMultiVmpl) == 0) terminate(kReasonSetHarness, kReasonNegotiation);
    SvsmValidator validator(v);
    sev::Ghcb& g = v.area->ghcb;
    if (!sev::share_page_msr(ch, validator, PhysAddr(gpa_of(&g)))) terminate(kReasonSetHarness, kReasonGhcbSetup);
    set_shared(v, &g, true);
    std::memset(&g, 0, sizeof g);
    if (!sev::register_ghcb(ch, PhysAddr(gpa_of(&g)))) terminate(kReasonSetHarness, kReasonGhcbSetup);
    v.ghcb_ready = true;
}

bool validated(Vcpu& v, uint64_t va) {
    v.probe_faulted = false;
    v.probing = true;
    (void)probe_read(va);
    v.probing = false;
    return !v.probe_faulted;
}

[[noreturn]] void terminate(uint8_t reason_set, uint8_t reason) {
    for (;;) {
        cpu::wrmsr(cpu::kGhcbMsr, sev::msr::terminate_request(reason_set, reason));
        cpu::vmgexit();
    }
}

}  // namespace harness
