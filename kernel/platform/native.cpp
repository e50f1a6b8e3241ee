// Native platform operations. Where SNP has hardware state (validation, RMP
// rights) native has none: those calls succeed without effect, and the
// guest-facing bookkeeping that enforces the rules lives above the platform
// (kernel/svsm), so it is the same on both. The guest has an address space
// of its own, as a nested guest would: RAM and a flash region, each backed
// by frames carved out of RAM at boot and taken out of the direct map.
#include "platform/native.hpp"

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/debug_exit.hpp"
#include "arch/x86_64/tsc.hpp"
#include "log.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"

namespace warden::platform {
namespace {

// The native guest-physical layout (docs/svsm.md): RAM at 8 MiB in two
// blocks of 4 MiB (the buddy's largest), aligned to their size so that 2 MiB
// mappings of them stay possible; the flash region ends at 4 GiB.
constexpr PhysRange kNativeRam{PhysAddr(0x800000), 8 << 20};
constexpr PhysRange kNativeFlash{PhysAddr((uint64_t{1} << 32) - (4 << 20)), 4 << 20};
constexpr PhysRange kNativeBlocks[] = {PhysRange{kNativeRam.base, kNativeRam.size / 2},
                                       PhysRange{kNativeRam.base + kNativeRam.size / 2, kNativeRam.size / 2},
                                       kNativeFlash};
constexpr size_t kNativeRegions = sizeof kNativeBlocks / sizeof kNativeBlocks[0];

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
    Result<void> start_guest_vcpu_at(PhysAddr, uint32_t, uint64_t, uint8_t) override {
        return Fail(Error::kUnsupported);
    }
    Result<void> stop_guest_vcpu(uint32_t, uint8_t) override { return Fail(Error::kUnsupported); }
    Result<void> run_vmpl(uint8_t) override { return Fail(Error::kUnsupported); }
    Result<sev::GuestRequestReply> guest_request(PhysAddr, PhysAddr) override { return Fail(Error::kUnsupported); }
    [[noreturn]] void terminate(uint16_t reason_set, uint16_t reason) override {
        log::error("terminate: reason set {} code {}", reason_set, reason);
        arch::debug_exit(arch::ExitCode::kFail);
        arch::halt_forever();
    }

    Result<void> init_guest_memory(const boot::BootInfo& info) override;
    std::span<const GuestRegion> guest_regions() const override { return {regions_, region_count_}; }
    PhysRange svsm_memory() const override { return image_; }
    bool guest_access_needs_validation() const override { return false; }
    bool tasks_play_the_guest() const override { return true; }
    uint64_t guest_sev_features() const override { return 0; }
    std::span<const uint8_t> secrets_page() const override { return {}; }
    std::span<const uint8_t> cpuid_page() const override { return {}; }
    Result<PageChange> validate_guest_page(PhysAddr gpa, mm::PageSize size, bool) override {
        if (size == mm::PageSize::k1G) return Fail(Error::kInvalidArgument);
        if (!gpa.is_aligned(mm::page_bytes(size))) return Fail(Error::kMisaligned);
        return PageChange::kChanged;
    }
    Result<void> set_guest_access(PhysAddr gpa, mm::PageSize size, uint8_t vmpl, uint8_t rights) override {
        if (vmpl == 0 || vmpl > 3 || rights > kRmpAll || size == mm::PageSize::k1G)
            return Fail(Error::kInvalidArgument);
        return gpa.is_aligned(mm::page_bytes(size)) ? Result<void>{} : Fail(Error::kMisaligned);
    }
    Result<void> make_vmsa_page(PhysAddr gpa, uint8_t vmpl) override {
        return set_guest_access(gpa, mm::PageSize::k4K, vmpl, 0);
    }
    Result<void> unmake_vmsa_page(PhysAddr gpa, uint8_t vmpl, uint8_t rights) override {
        return set_guest_access(gpa, mm::PageSize::k4K, vmpl, rights);
    }

private:
    static Result<void> aligned(PhysAddr a) {
        return a.is_aligned(kPageSize) ? Result<void>{} : Fail(Error::kMisaligned);
    }

    GuestRegion regions_[kNativeRegions];
    size_t region_count_ = 0;
    PhysRange image_;
};

// All blocks first: a failure frees what was taken and leaves no region.
// Then out of the direct map: from here the kernel reaches them only through
// a window. (Should an unmap fail, for want of a page-table frame, the
// blocks stay out of use: no region is published.)
Result<void> Native::init_guest_memory(const boot::BootInfo& info) {
    image_ = info.image;
    GuestRegion built[kNativeRegions];
    unsigned orders[kNativeRegions] = {};
    for (size_t i = 0; i < kNativeRegions; ++i) {
        orders[i] = mm::BuddyAllocator::order_for_bytes(kNativeBlocks[i].size);
        auto block = mm::alloc_frames(orders[i]);
        if (!block) {
            for (size_t j = 0; j < i; ++j) mm::free_frames(built[j].backing, orders[j]);
            return Fail(block.error());
        }
        built[i] = GuestRegion{kNativeBlocks[i], *block, i == kNativeRegions - 1};
    }
    for (const GuestRegion& g : built) {
        WARDEN_TRY_VOID(
            mm::kernel_mapper().unmap(VirtAddr(reinterpret_cast<uint64_t>(mm::phys_to_virt(g.backing))), g.gpa.size));
    }
    for (const GuestRegion& g : built) {
        regions_[region_count_++] = g;
        log::info("guest: {:#x}..{:#x} ({} KiB, native) backed by {:#x}, out of the direct map", g.gpa.base.raw(),
                  g.gpa.end().raw(), g.gpa.size / 1024, g.backing.raw());
    }
    return {};
}

Native instance;

}  // namespace

Platform& native() { return instance; }

}  // namespace warden::platform
