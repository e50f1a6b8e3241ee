// Native platform operations. Where SNP has hardware state (validation, RMP
// rights) native has none: those calls succeed without effect, and the
// guest-facing bookkeeping that enforces the rules lives above the platform
// (issue 8), so it is the same on both.
#include "platform/native.hpp"

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/debug_exit.hpp"
#include "arch/x86_64/tsc.hpp"
#include "log.hpp"

namespace warden::platform {
namespace {

class Native final : public Platform {
public:
    const char* name() const override { return "native"; }
    uint64_t encryption_mask() const override { return 0; }
    Result<void> validate(PhysAddr page, mm::PageSize size, bool) override {
        return page.is_aligned(mm::page_bytes(size)) ? Result<void>{} : Fail(Error::kMisaligned);
    }
    Result<void> make_shared(PhysAddr base, uint64_t) override { return aligned(base); }
    Result<void> make_private(PhysAddr base, uint64_t) override { return aligned(base); }
    Result<void> set_rmp_permissions(PhysAddr page, unsigned vmpl, uint8_t permissions) override {
        if (vmpl == 0 || vmpl > 3 || permissions > 0xf) return Fail(Error::kInvalidArgument);
        return aligned(page);
    }
    Result<void> init_boot(const boot::BootInfo&) override { return {}; }
    Result<void> init_cpu(unsigned) override { return {}; }
    bool starts_aps_at_trampoline() const override { return true; }
    Result<void> start_ap(const ApStart& s) override {
        arch::apic::send_init(s.apic_id);
        arch::apic::send_startup(s.apic_id, s.sipi_page);
        // Once more only if the first start was lost (SDM 9.4.4.1 sends two SIPIs).
        const uint64_t t0 = arch::rdtsc();
        while (s.started && *s.started == 0 && arch::tsc_delta_us(t0, arch::rdtsc()) < 10'000) arch::pause();
        if (s.started && *s.started == 0) arch::apic::send_startup(s.apic_id, s.sipi_page);
        return {};
    }
    // Running a guest needs a lower VMPL (SNP) or a nested-guest platform, which
    // Warden does not have on native: everything up to this call is done.
    Result<PhysAddr> start_guest_vcpu(PhysAddr, uint32_t, uint64_t) override { return Fail(Error::kUnsupported); }
    Result<void> run_vmpl(uint8_t) override { return Fail(Error::kUnsupported); }
    [[noreturn]] void terminate(uint16_t reason_set, uint16_t reason) override {
        log::error("terminate: reason set {} code {}", reason_set, reason);
        arch::debug_exit(arch::ExitCode::kFail);
        arch::halt_forever();
    }

private:
    static Result<void> aligned(PhysAddr a) {
        return a.is_aligned(kPageSize) ? Result<void>{} : Fail(Error::kMisaligned);
    }
};

Native instance;

}  // namespace

Platform& native() { return instance; }

}  // namespace warden::platform
