// The guest's copy of the SNP secrets page, and reading its SVSM fields.
#include "warden/sev/secrets.hpp"

#include "warden/bytes.hpp"

namespace warden::sev {
namespace {

constexpr uint64_t kPageMask = 0xfff;
constexpr uint8_t kMaxVmpl = 3;

void put(std::span<uint8_t> b, size_t at, uint64_t value, size_t n) {
    for (size_t i = 0; i < n; ++i) b[at + i] = static_cast<uint8_t>(value >> (8 * i));
}
void zero(std::span<uint8_t> b, size_t at, size_t n) {
    for (size_t i = 0; i < n; ++i) b[at + i] = 0;
}

Result<void> check(const SvsmFields& f) {
    if (f.guest_vmpl == 0 || f.guest_vmpl > kMaxVmpl) return Fail(Error::kOutOfRange);
    if (f.size == 0 || (f.caa & kPageMask) != 0) return Fail(Error::kInvalidArgument);
    return {};
}

}  // namespace

// The keys: COCONUT-SVSM's copy_for_vmpl clears VMPCK0..VMPCK(n-1) for a
// guest at VMPL n, and linux-svsm (guest at VMPL1) clears VMPCK0; the keys
// of the guest's own VMPL and the less privileged ones stay, so the guest can
// still ask the PSP for reports at its VMPL. The OS area is the guest OS's
// (GHCB spec: message sequence numbers per VMPCK): the guest starts with it
// zeroed, as after a launch, since the PSP's counters for its keys are
// untouched; whatever the SVSM keeps there for VMPCK0 is not the guest's.
// The rest (version, IMI flag, FMS, GOSVW, VMSA tweak bitmap, what follows
// the SVSM fields) is the platform's and is copied.
Result<void> make_guest_secrets(std::span<const uint8_t> svsm_page, const SvsmFields& f,
                                std::span<uint8_t, kSecretsPageSize> out) {
    if (!svsm_page.empty() && svsm_page.size() != kSecretsPageSize) return Fail(Error::kInvalidArgument);
    WARDEN_TRY_VOID(check(f));
    if (svsm_page.empty()) {
        zero(out, 0, kSecretsPageSize);
        put(out, kSecretsVersion, kSecretsPageVersion, 4);
    } else {
        for (size_t i = 0; i < kSecretsPageSize; ++i) out[i] = svsm_page[i];
    }
    for (size_t vmpl = 0; vmpl < f.guest_vmpl; ++vmpl) zero(out, kSecretsVmpck0 + vmpl * kVmpckSize, kVmpckSize);
    zero(out, kSecretsOsArea, kSecretsOsAreaSize);
    put(out, kSecretsSvsmBase, f.base, 8);
    put(out, kSecretsSvsmSize, f.size, 8);
    put(out, kSecretsSvsmCaa, f.caa, 8);
    put(out, kSecretsSvsmMaxVersion, f.max_version, 4);
    put(out, kSecretsSvsmGuestVmpl, f.guest_vmpl, 1);
    zero(out, kSecretsSvsmGuestVmpl + 1, kSecretsSvsmEnd - kSecretsSvsmGuestVmpl - 1);
    return {};
}

// The checks Linux's svsm_setup_ca makes (no SVSM when the size is 0; VMPL0
// and a misaligned CAA are fatal there), plus VMPL at most 3.
Result<SvsmFields> read_svsm_fields(std::span<const uint8_t> page) {
    if (page.size() < kSecretsSvsmEnd) return Fail(Error::kTruncated);
    SvsmFields f;
    f.base = load_le<uint64_t>(page, kSecretsSvsmBase);
    f.size = load_le<uint64_t>(page, kSecretsSvsmSize);
    f.caa = load_le<uint64_t>(page, kSecretsSvsmCaa);
    f.max_version = load_le<uint32_t>(page, kSecretsSvsmMaxVersion);
    f.guest_vmpl = page[kSecretsSvsmGuestVmpl];
    if (f.size == 0) return Fail(Error::kNotFound);
    WARDEN_TRY_VOID(check(f));
    return f;
}

}  // namespace warden::sev
