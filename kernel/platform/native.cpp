// Native platform operations. Where SNP has hardware state (validation, RMP
// rights) native has none: those calls succeed without effect, and the
// guest-facing bookkeeping that enforces the rules lives above the platform
// (issue 8), so it is the same on both.
#include "platform/native.hpp"

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/debug_exit.hpp"
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
    Result<uint32_t> io_read(uint16_t port, unsigned bytes) override {
        switch (bytes) {
        case 1: return uint32_t{arch::inb(port)};
        case 2: return uint32_t{arch::inw(port)};
        default: return Fail(Error::kInvalidArgument);
        }
    }
    Result<void> io_write(uint16_t port, unsigned bytes, uint32_t value) override {
        switch (bytes) {
        case 1: arch::outb(port, static_cast<uint8_t>(value)); return {};
        case 2: arch::outw(port, static_cast<uint16_t>(value)); return {};
        case 4: arch::outl(port, value); return {};
        default: return Fail(Error::kInvalidArgument);
        }
    }
    Result<uint64_t> read_msr(uint32_t msr) override { return arch::rdmsr(msr); }
    Result<void> write_msr(uint32_t msr, uint64_t value) override {
        arch::wrmsr(msr, value);
        return {};
    }
    Result<void> start_ap(uint32_t apic_id, uint8_t sipi_page) override {
        arch::apic::send_init(apic_id);
        arch::apic::send_startup(apic_id, sipi_page);
        return {};
    }
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
