// Boot-time hypervisor conversations: negotiation, GHCB sharing and
// registration, CPUID through the MSR, AP creation.
#include "warden/sev/protocol.hpp"

namespace warden::sev {

Result<Negotiation> negotiate(MsrChannel& ch, uint8_t expected_c_bit) {
    WARDEN_TRY(info, msr::decode_sev_info(ch.exchange(msr::sev_info_request())));
    if (info.min_version > kGhcbProtocolWanted || info.max_version < kGhcbProtocolWanted)
        return Fail(Error::kBadVersion);
    if (info.c_bit != expected_c_bit) return Fail(Error::kInvalidArgument);
    WARDEN_TRY(features, msr::decode_hv_features(ch.exchange(msr::hv_features_request())));
    if (!(features & msr::kHvFeatureSnp)) return Fail(Error::kUnsupported);
    return Negotiation{kGhcbProtocolWanted, features};
}

Result<uint32_t> cpuid_msr(MsrChannel& ch, uint32_t function, msr::CpuidRegister reg) {
    return msr::decode_cpuid(ch.exchange(msr::cpuid_request(function, reg)));
}

Result<void> share_page_msr(MsrChannel& ch, Validator& v, PhysAddr page) {
    if (!page.is_aligned(kPageSize)) return Fail(Error::kMisaligned);
    // A page must be rescinded before it is shared: a validated page the
    // hypervisor remaps would otherwise still look valid to us.
    WARDEN_TRY(rescinded, v.pvalidate(page, false, false));
    (void)rescinded;  // "no change" is fine: it was not valid
    WARDEN_TRY(request, msr::page_state_request(page.raw() >> 12, msr::PageState::kShared));
    return msr::check_page_state(ch.exchange(request));
}

Result<void> register_ghcb(MsrChannel& ch, PhysAddr ghcb) {
    if (!ghcb.is_aligned(kPageSize)) return Fail(Error::kMisaligned);
    const uint64_t gfn = ghcb.raw() >> 12;
    return msr::check_register_ghcb(ch.exchange(msr::register_ghcb_request(gfn)), gfn);
}

uint64_t ap_creation_info(const ApCreate& a, uint64_t action) {
    return (uint64_t{a.apic_id} << 32) | (uint64_t{a.vmpl & 0xfu} << 16) | (action & 0xffff);
}

Result<void> create_ap(Hypervisor& hv, Ghcb& ghcb, const ApCreate& a) {
    if (a.vmsa_gpa & 0xfff || a.vmpl > 3) return Fail(Error::kInvalidArgument);
    ghcb.begin();
    ghcb.set(GhcbField::kRax, a.sev_features);
    ghcb.set_exit(exit::kApCreation, ap_creation_info(a, kApActionCreate), a.vmsa_gpa);
    WARDEN_TRY_VOID(hv.vmgexit(ghcb));
    return ghcb.check_result();
}

Result<void> destroy_ap(Hypervisor& hv, Ghcb& ghcb, uint32_t apic_id, uint8_t vmpl) {
    if (vmpl == 0 || vmpl > 3) return Fail(Error::kInvalidArgument);
    ghcb.begin();
    ghcb.set_exit(exit::kApCreation, ap_creation_info(ApCreate{.apic_id = apic_id, .vmpl = vmpl}, kApActionDestroy), 0);
    WARDEN_TRY_VOID(hv.vmgexit(ghcb));
    return ghcb.check_result();
}

Result<void> run_vmpl(Hypervisor& hv, Ghcb& ghcb, uint8_t vmpl) {
    if (vmpl > 3) return Fail(Error::kInvalidArgument);
    ghcb.begin();
    ghcb.set_exit(exit::kRunVmpl, vmpl, 0);
    WARDEN_TRY_VOID(hv.vmgexit(ghcb));
    return ghcb.check_result();
}

}  // namespace warden::sev
