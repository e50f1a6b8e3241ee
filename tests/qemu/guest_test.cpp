// Boot tests for kernel/svsm's own keeping of DESIGN 8 (issue 15): the
// kernel refuses a taken VMSA page to every access on the guest's behalf
// itself, whatever the CPL3 request loop checked. No task plays the guest in
// this image, so these pages are the test's alone. They run on native and on
// the emulated SNP host alike (issue 17): the 2 MiB page they use is
// validated for the guest first, as the SVSM touches no page that is not
// where the platform would fault on it.
#include <cstring>

#include "arch/x86_64/percpu.hpp"
#include "platform/platform.hpp"
#include "svsm/guest.hpp"
#include "test/ktest.hpp"
#include "warden/sev/secrets.hpp"

using namespace warden;

namespace {

// The high half of native guest RAM past the initial Calling Areas: a whole
// 2 MiB page, so a 2 MiB PVALIDATE can hold the VMSA.
PhysAddr base() { return guest::memory().base + (6 << 20); }

bool write_vmsa(PhysAddr gpa) {
    uint8_t v[svsm::kVmsaCheckedBytes] = {};
    v[0x0ca] = guest::vmpl();
    const uint64_t efer = uint64_t{1} << 12, features = guest::sev_features();
    std::memcpy(v + 0x0d0, &efer, 8);
    std::memcpy(v + 0x3b0, &features, 8);
    v[0x200] = 0x5a;  // a byte between the checked fields, to see it unchanged
    return guest::write(gpa, v, sizeof v).ok();
}

// The whole 2 MiB page at base() validated (zeroed, the guest's VMPL given
// its rights), unless an earlier case did it.
bool validate_base() {
    auto r = guest::pvalidate(base(), true, true);
    return r && (*r == svsm::PvalidateOutcome::kChanged || *r == svsm::PvalidateOutcome::kUnchanged);
}

}  // namespace

KTEST("guest: a live VMSA page is refused to every copy, PVALIDATE and CREATE_VCPU") {
    if (!KCHECK(guest::memory().size != 0)) return;
    if (!KCHECK(validate_base())) return;
    const PhysAddr vmsa = base() + 0x3000, caa = base() + 0x1000, other = base() + 0x5000;
    const uint32_t apic = arch::this_cpu().apic_id;
    const uint64_t zero = 0;
    KCHECK(guest::write(vmsa - 8, &zero, 8).ok());
    KCHECK(write_vmsa(vmsa));
    KCHECK(write_vmsa(other));
    const bool validated = guest::is_validated(vmsa);
    if (!KCHECK(guest::create_vcpu(vmsa, caa, apic).ok())) return;

    KCHECK(!guest::in_guest_hands(PhysRange{vmsa, kPageSize}));
    KCHECK(!guest::in_guest_hands(PhysRange{vmsa - 8, 16}));
    KCHECK(guest::in_guest_hands(PhysRange{vmsa - 8, 8}));
    uint8_t buf[16] = {};
    KCHECK(guest::read(vmsa + 0xc8, buf, 8).error() == Error::kDenied);
    KCHECK(guest::write(vmsa + 0xc8, buf, 8).error() == Error::kDenied);
    std::memset(buf, 0xee, sizeof buf);
    KCHECK(guest::write(vmsa - 8, buf, 16).error() == Error::kDenied);  // the page below is not written either
    KCHECK(guest::pvalidate(vmsa, false, !validated).error() == Error::kDenied);
    KCHECK(guest::pvalidate(base(), true, true).error() == Error::kDenied);  // the 2 MiB page holding it
    KCHECK(guest::is_validated(vmsa) == validated);
    KCHECK(guest::create_vcpu(vmsa, other, apic).error() == Error::kAlreadyMapped);  // a second vCPU on it
    KCHECK(guest::create_vcpu(other, vmsa, apic).error() == Error::kDenied);         // a CAA on it
    KCHECK(guest::in_guest_hands(PhysRange{other, kPageSize}));                      // nothing taken

    KCHECK(guest::delete_vcpu(vmsa).ok());
    KCHECK(guest::delete_vcpu(vmsa).error() == Error::kNotFound);
    uint8_t back[svsm::kVmsaCheckedBytes] = {};
    KCHECK(guest::read(vmsa, back, sizeof back).ok());
    KCHECK(back[0x0ca] == guest::vmpl());
    KCHECK(back[0x200] == 0x5a);
    KCHECK(guest::read(vmsa - 8, buf, 8).ok());
    KCHECK(buf[0] == 0);                             // the refused write reached nothing
    KCHECK(guest::write(vmsa + 0xc8, buf, 8).ok());  // the guest's page again
}

KTEST("guest: a VMSA whose contents do not fit is given back, nothing taken") {
    if (!KCHECK(guest::memory().size != 0)) return;
    if (!KCHECK(validate_base())) return;
    const PhysAddr vmsa = base() + 0x7000, caa = base() + 0x1000;
    KCHECK(write_vmsa(vmsa));
    const uint8_t vmpl0 = 0;
    KCHECK(guest::write(vmsa + 0x0ca, &vmpl0, 1).ok());
    KCHECK(guest::create_vcpu(vmsa, caa, arch::this_cpu().apic_id).error() == Error::kInvalidArgument);
    KCHECK(guest::in_guest_hands(PhysRange{vmsa, kPageSize}));
    KCHECK(guest::delete_vcpu(vmsa).error() == Error::kNotFound);
    KCHECK(guest::create_vcpu(vmsa, caa, 0xfffe).error() == Error::kNotFound);  // no CPU has that APIC ID
    KCHECK(guest::in_guest_hands(PhysRange{vmsa, kPageSize}));
}

KTEST("guest: the guest's secrets page has the SVSM fields and no key of a VMPL above the guest's") {
    alignas(8) static uint8_t page[kPageSize];
    const PhysAddr caa = guest::initial_caa(0);
    if (!KCHECK(guest::make_secrets_page(caa, page).ok())) return;
    auto f = sev::read_svsm_fields(page);
    if (!KCHECK(f.ok())) return;
    KCHECK(f->base == guest::svsm_memory().base.raw());
    KCHECK(f->size == guest::svsm_memory().size);
    KCHECK(f->caa == caa.raw());
    KCHECK(f->max_version == 1);
    KCHECK(f->guest_vmpl == guest::vmpl());
    bool above_cleared = true, own_kept = true;
    const std::span<const uint8_t> platform_page = platform::current().secrets_page();
    for (size_t k = 0; k < sev::kVmpckCount; ++k) {
        const size_t at = sev::kSecretsVmpck0 + k * sev::kVmpckSize;
        for (size_t i = 0; i < sev::kVmpckSize; ++i) {
            if (k < guest::vmpl()) above_cleared = above_cleared && page[at + i] == 0;
            if (k >= guest::vmpl() && !platform_page.empty())
                own_kept = own_kept && page[at + i] == platform_page[at + i];
        }
    }
    KCHECK(above_cleared);  // VMPCK0 (the SVSM's) and VMPCK1 never reach a VMPL2 guest
    KCHECK(own_kept);       // the guest's own keys (SNP; native has none) are the platform's
    // The CPUID page: the platform's as it is (SNP), none on native.
    alignas(8) static uint8_t cpuid[kPageSize];
    const auto c = guest::make_cpuid_page(cpuid);
    if (platform::current().cpuid_page().empty()) {
        KCHECK(c.error() == Error::kNotFound);
    } else {
        KCHECK(c.ok());
        KCHECK(std::memcmp(cpuid, platform::current().cpuid_page().data(), kPageSize) == 0);
    }
}
