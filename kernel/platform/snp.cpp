// SEV-SNP platform. The encodings and algorithms are in lib/warden/sev and
// host-tested against fakes; this file binds them to the instructions.
// NOTHING HERE HAS RUN ON SNP HARDWARE (none is available to the project):
// see docs/igvm.md for what is wired and what still answers "not yet".
#include "platform/snp.hpp"

#include "arch/x86_64/cpu.hpp"
#include "log.hpp"
#include "mm/layout.hpp"
#include "warden/sev/ghcb_msr.hpp"
#include "warden/sev/ioio.hpp"
#include "warden/sev/page_state.hpp"

namespace warden::platform {
namespace {

// PVALIDATE through the direct map (the instruction takes a virtual address).
class InstructionValidator final : public sev::Validator {
public:
    Result<sev::Validation> pvalidate(PhysAddr page, bool huge, bool valid) override {
        const auto r = arch::pvalidate(reinterpret_cast<uint64_t>(mm::phys_to_virt(page)), huge, valid);
        return sev::pvalidate_outcome(r.eax, r.carry);
    }
};

class Snp final : public Platform {
public:
    const char* name() const override { return "sev-snp"; }
    uint64_t encryption_mask() const override { return mask; }
    Result<void> validate(PhysAddr page, mm::PageSize size, bool valid) override {
        if (size == mm::PageSize::k1G) return Fail(Error::kInvalidArgument);
        InstructionValidator v;
        WARDEN_TRY_VOID(sev::validate_range(v, PhysRange{page, mm::page_bytes(size)}, valid));
        return {};
    }
    Result<void> make_shared(PhysAddr, uint64_t) override { return not_yet("page-state change (needs the GHCB)"); }
    Result<void> make_private(PhysAddr, uint64_t) override { return not_yet("page-state change (needs the GHCB)"); }
    Result<void> set_rmp_permissions(PhysAddr page, unsigned vmpl, uint8_t permissions) override {
        if (vmpl == 0 || vmpl > 3 || permissions > 0xf) return Fail(Error::kInvalidArgument);
        // RDX: bits 7:0 permissions, 15:8 target VMPL (SPEC-FACTS.md 2).
        const uint64_t attributes = uint64_t{permissions} | (uint64_t{vmpl} << 8);
        const uint64_t va = reinterpret_cast<uint64_t>(mm::phys_to_virt(page));
        return sev::rmpadjust_outcome(arch::rmpadjust(va, false, attributes));
    }
    // Port IO and MSRs are the instructions themselves: under SNP they raise
    // #VC, whose handler serves them through the GHCB (once it is wired).
    Result<uint32_t> io_read(uint16_t, unsigned) override { return not_yet("IO through #VC"); }
    Result<void> io_write(uint16_t, unsigned, uint32_t) override { return not_yet("IO through #VC"); }
    Result<uint64_t> read_msr(uint32_t) override { return not_yet("MSR through #VC"); }
    Result<void> write_msr(uint32_t, uint64_t) override { return not_yet("MSR through #VC"); }
    Result<void> start_ap(uint32_t, uint8_t) override { return not_yet("AP creation from a VMSA"); }
    [[noreturn]] void terminate(uint16_t reason_set, uint16_t reason) override {
        // GHCB MSR protocol termination: needs no GHCB page.
        log::error("terminate (SNP): reason set {} code {}", reason_set, reason);
        arch::wrmsr(sev::msr::kGhcbMsr,
                    sev::msr::terminate_request(static_cast<uint8_t>(reason_set), static_cast<uint8_t>(reason)));
        arch::vmgexit();
        arch::halt_forever();  // a hypervisor that resumes us after termination gets a halted vCPU
    }

    uint64_t mask = 0;

private:
    static Fail not_yet(const char* what) {
        log::warn("sev-snp: {}: not yet on SNP", what);
        return Fail(Error::kUnsupported);
    }
};

Snp instance;

}  // namespace

Platform& snp(const sev::CpuidInfo& cpuid, sev::Status) {
    instance.mask = cpuid.c_bit_mask();
    return instance;
}

}  // namespace warden::platform
