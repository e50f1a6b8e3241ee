// The SNP secrets page (SEV-SNP Firmware ABI 56860, PAGE_TYPE_SECRETS; Linux
// struct snp_secrets_page; SPEC-FACTS.md 7): the guest's copy an SVSM makes
// of its own page, and the SVSM fields a guest reads from it.
#pragma once

#include <span>

#include "warden/result.hpp"

namespace warden::sev {

// Offsets and sizes in the page.
inline constexpr size_t kSecretsPageSize = 4096;
inline constexpr size_t kSecretsVersion = 0x000;  // u32
inline constexpr size_t kSecretsGosvw = 0x010;    // 16 bytes
inline constexpr size_t kSecretsVmpck0 = 0x020;   // VMPCK0..3, 32 bytes each
inline constexpr size_t kVmpckSize = 32, kVmpckCount = 4;
inline constexpr size_t kSecretsOsArea = 0x0a0, kSecretsOsAreaSize = 96;  // the guest OS's own
inline constexpr size_t kSecretsTweakBitmap = 0x100;                      // 64 bytes
// SVSM fields: base, size, caa u64; max_version u32; guest_vmpl u8; then
// 3 reserved bytes up to kSecretsSvsmEnd.
inline constexpr size_t kSecretsSvsmBase = 0x140, kSecretsSvsmSize = 0x148, kSecretsSvsmCaa = 0x150;
inline constexpr size_t kSecretsSvsmMaxVersion = 0x158, kSecretsSvsmGuestVmpl = 0x15c, kSecretsSvsmEnd = 0x160;

// The version current firmware writes into the page (earlier revisions of
// the Firmware ABI had 2). Neither Linux nor OVMF checks it.
inline constexpr uint32_t kSecretsPageVersion = 3;

// What the SVSM advertises to its guest (SVSM spec 58019; SPEC-FACTS.md 7).
struct SvsmFields {
    uint64_t base = 0, size = 0;  // the SVSM's memory
    uint64_t caa = 0;             // the BSP's Calling Area, 4 KiB aligned
    uint32_t max_version = 0;     // highest core protocol version
    uint8_t guest_vmpl = 0;       // the VMPL the guest runs at, 1..3

    friend bool operator==(const SvsmFields&, const SvsmFields&) = default;
};

// The guest's secrets page: a copy of `svsm_page` (the SVSM's own, 4096
// bytes) with the VMPCKs of every VMPL more privileged than the guest's
// zeroed, so the guest cannot speak to the PSP as the SVSM; its OS area
// zeroed; and the SVSM fields set. An empty `svsm_page` means there is no
// platform page (native): the copy is then a version-3 page with no keys.
// Errors: kInvalidArgument (svsm_page neither empty nor 4096 bytes; caa not
// 4 KiB aligned; size 0), kOutOfRange (guest_vmpl 0 or above 3).
Result<void> make_guest_secrets(std::span<const uint8_t> svsm_page, const SvsmFields& f,
                                std::span<uint8_t, kSecretsPageSize> out);

// The SVSM fields as a guest reads them (Linux svsm_setup_ca). Errors:
// kTruncated (shorter than the fields), kNotFound (size 0: no SVSM),
// kOutOfRange (guest_vmpl 0 or above 3), kInvalidArgument (caa not 4 KiB
// aligned).
Result<SvsmFields> read_svsm_fields(std::span<const uint8_t> page);

}  // namespace warden::sev
