// The launch of an IGVM file as a QEMU 10.1 + KVM host and its PSP do it
// (docs/igvm.md "What the host measures"; SPEC-FACTS 8): lib's launch walk
// (igvm/snp_launch.hpp) hands each page over in launch order; the host
// places it in guest memory and the PSP model extends the launch digest.
// Parameter areas get the host's memory map and vCPU count, the secrets
// page is built as the PSP builds it. The CPUID page is proposed by the host
// as the hypervisor (from the emulated CPU, with a test's edits) and checked
// by it as the PSP (warden/snp/cpuid_check.hpp), which may refuse it.
#pragma once

#include <span>

#include "guest_memory.hpp"
#include "rmp_seam.hpp"
#include "warden/crypto/sha384.hpp"
#include "warden/igvm/kvm_vmsa.hpp"
#include "warden/sev/guest_msg.hpp"
#include "warden/result.hpp"
#include "warden/snp/cpuid_edit.hpp"

namespace snp_host {

struct LaunchChoices {
    uint32_t vcpus = 1;
    uint32_t cpu_signature = 0;  // CPUID 1 EAX: what an AP's reset RDX holds
    // Edits the hypervisor makes to the CPUID page it proposes (fw_cfg
    // opt/snp-host/cpuid; docs/snp-host.md), or none.
    const warden::snp::CpuidEdits* cpuid_edits = nullptr;
};

struct Launched {
    warden::crypto::Sha384Digest digest{};
    warden::igvm::VmsaPage bsp_vmsa{};  // as KVM measured it: what the BSP starts from
    uint64_t policy = 0;
    size_t pages = 0;
    size_t flash_pages = 0;  // of the guest's firmware, placed in the flash
    uint64_t flash_low = 0;  // the lowest of them (the image ends at 4 GiB)
    uint64_t secrets_gpa = 0, cpuid_gpa = 0;
    std::array<warden::sev::Vmpck, warden::sev::kVmpckCount> vmpck{};  // the PSP's copy of the secrets page's
};

// `out` filled from the CPU's entropy: RDSEED where it exists (a conditioned
// entropy source, as the PSP's TRNG), else RDRAND (TCG has no RDSEED);
// kUnsupported when the CPU has neither or gives no value in 64 tries.
warden::Result<void> fill_entropy(std::span<uint8_t> out);

// The IGVM memory (guest_memory.hpp) the file asks for: the span of its
// PAGE_DATA and REQUIRED_MEMORY directives at or above 4 GiB, rounded out to
// 2 MiB; {0, 0} when there are none. Refused (a line says why) when the span
// leaves one 1 GiB-aligned GiB, reaches the C-bit (kCBitMask) or exceeds
// max_bytes: kOutOfRange; a file that does not parse: its error.
struct IgvmMemory {
    uint64_t base = 0, size = 0;
};
warden::Result<IgvmMemory> igvm_memory(std::span<const uint8_t> file, uint64_t max_bytes);

// The file is the host's copy (never guest-visible). Errors are the launch
// walk's, or kOutOfRange for a page or parameter outside guest memory,
// kInvalidArgument for a malformed parameter directive or a CPUID page the
// PSP rejects (each rejected value is one report line; the launch is not
// retried), kUnsupported when the CPU gives no entropy for the VMPCKs.
// Every page placed is handed to the RMP as SNP_LAUNCH_UPDATE leaves it
// (assigned, private, validated).
warden::Result<void> launch(std::span<const uint8_t> file, const GuestMemory& guest, const LaunchChoices& choices,
                            RmpSeam& rmp, Launched& out);

}  // namespace snp_host
