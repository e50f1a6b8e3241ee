// SEV-SNP platform: declared in full, implemented as far as issue 5 goes.
#include "platform/snp.hpp"

#include "arch/x86_64/cpu.hpp"
#include "log.hpp"

namespace warden::platform {
namespace {

class Snp final : public Platform {
public:
    const char* name() const override { return "sev-snp"; }
    uint64_t encryption_mask() const override { return mask; }
    Result<void> validate(PhysAddr, mm::PageSize, bool) override { return not_yet("PVALIDATE"); }
    Result<void> make_shared(PhysAddr, uint64_t) override { return not_yet("page-state change"); }
    Result<void> make_private(PhysAddr, uint64_t) override { return not_yet("page-state change"); }
    Result<void> set_rmp_permissions(PhysAddr, unsigned, uint8_t) override { return not_yet("RMPADJUST"); }
    Result<uint32_t> io_read(uint16_t, unsigned) override { return not_yet("IO through the GHCB"); }
    Result<void> io_write(uint16_t, unsigned, uint32_t) override { return not_yet("IO through the GHCB"); }
    Result<uint64_t> read_msr(uint32_t) override { return not_yet("MSR through the GHCB"); }
    Result<void> write_msr(uint32_t, uint64_t) override { return not_yet("MSR through the GHCB"); }
    Result<void> start_ap(uint32_t, uint8_t) override { return not_yet("AP creation from a VMSA"); }
    [[noreturn]] void terminate(uint16_t reason_set, uint16_t reason) override {
        // The GHCB MSR termination request arrives with issue 7; until then stop here.
        log::error("terminate (SNP, no GHCB yet): reason set {} code {}", reason_set, reason);
        arch::halt_forever();
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
