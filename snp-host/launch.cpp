// Placement and measurement of an IGVM file's pages.
#include "launch.hpp"

#include <cstring>

#include "console.hpp"
#include "cpu.hpp"
#include "cpuid_view.hpp"
#include "npt.hpp"
#include "warden/bytes.hpp"
#include "warden/igvm/host_parameters.hpp"
#include "warden/igvm/igvm.hpp"
#include "warden/igvm/memory_map.hpp"
#include "warden/igvm/snp_launch.hpp"
#include "warden/sev/secrets.hpp"
#include "warden/snp/cpuid_check.hpp"

namespace snp_host {
namespace {

using warden::Error;
using warden::Fail;
using warden::Result;
namespace igvm = warden::igvm;
namespace sev = warden::sev;
namespace snp = warden::snp;
constexpr uint64_t kPage = 4096;

igvm::File file_headers;  // large: not on the stack

// 64 random bits from the CPU: RDSEED where it exists (a conditioned
// entropy source, as the PSP's TRNG), else RDRAND (TCG has no RDSEED).
Result<uint64_t> entropy64() {
    const bool seed = cpu::cpuid(7, 0).ebx & (1u << 18);
    const bool rand = cpu::cpuid(1, 0).ecx & (1u << 30);
    for (int tries = 0; tries < 64; ++tries) {
        uint64_t v = 0;
        if (seed && cpu::rdseed64(v)) return v;
        if (!seed && rand && cpu::rdrand64(v)) return v;
        if (!seed && !rand) break;
    }
    return Fail(Error::kUnsupported);
}

}  // namespace

Result<void> fill_entropy(std::span<uint8_t> out) {
    for (size_t at = 0; at < out.size(); at += 8) {
        auto v = entropy64();
        if (!v) return Fail(v.error());
        for (size_t b = 0; b < 8 && at + b < out.size(); ++b) out[at + b] = static_cast<uint8_t>(*v >> (8 * b));
    }
    return {};
}

namespace {

// The secrets page as the PSP writes it at SNP_LAUNCH_UPDATE of a SECRETS
// page (SNP Firmware ABI 56860, "Secrets Page Format"; Linux struct
// snp_secrets_page): version, IMI_EN 0, FMS = CPUID 1 EAX's family, model,
// stepping, GOSVW zero at launch, four random VMPCKs, the rest zero (the OS
// area and the SVSM fields are the guest's to fill).
Result<void> build_secrets(std::span<uint8_t> page) {
    std::memset(page.data(), 0, page.size());
    const uint32_t version = sev::kSecretsPageVersion;
    std::memcpy(&page[sev::kSecretsVersion], &version, 4);
    const uint32_t fms = cpu::cpuid(1, 0).eax & 0x0fff'3fff;  // family, model, stepping fields only
    std::memcpy(&page[0x08], &fms, 4);
    return fill_entropy(page.subspan(sev::kSecretsVmpck0, sev::kVmpckSize * sev::kVmpckCount));
}

// The PSP's report of a rejected CPUID page: one line per refused value,
// as QEMU prints one per mismatching entry (sev.c
// sev_snp_cpuid_report_mismatches), with the rule that refused it.
class PspCpuidReport final : public snp::CpuidRejectionSink {
public:
    void rejected(const snp::CpuidRejection& r) override {
        log("PSP: CPUID page rejected: function {:#x} subleaf {} {} {:#x} has bits {:#x} {} (allowed {:#x})",
            r.function, r.subleaf, snp::cpuid_field_name(r.field), r.proposed, r.bits, snp::cpuid_why_text(r.why),
            r.allowed);
    }
};

// The CPUID page in its two roles. The hypervisor (the VMM's part: QEMU's
// sev_snp_cpuid_info_fill over the CPUID KVM shows the guest) proposes a page
// from the emulated CPU, with the test's edits. The PSP checks it at
// SNP_LAUNCH_UPDATE against the same CPU; a rejection fails the update with
// INVALID_PARAM and the corrected page written back. KVM hands that page
// back to the VMM and QEMU reports the mismatches and ends the launch, it
// does not retry: neither does the host.
Result<void> launch_cpuid_page(std::span<uint8_t, sev::kCpuidPageSize> page, const snp::CpuidEdits* edits) {
    auto n = sev::build_cpuid_page(sev::default_guest_leaves(), emulated_cpuid, page);
    if (!n) return Fail(n.error());
    if (edits != nullptr) {
        if (auto r = snp::apply_cpuid_edits(*edits, page); !r) {
            log("hypervisor: the CPUID edits need more than {} entries", snp::kCpuidMaxEntries);
            return Fail(r.error());
        }
    }
    PspCpuidReport report;
    auto checked = snp::check_cpuid_page(page, emulated_cpuid, report);
    if (!checked) {
        log("PSP: CPUID page refused (INVALID_PARAM, nothing written back): {}",
            checked.error() == Error::kOutOfRange
                ? "its count is above 64"
                : "a reserved header field is set, or two entries answer one function");
        return Fail(Error::kInvalidArgument);
    }
    if (!checked->accepted()) {
        log("PSP: SNP_LAUNCH_UPDATE of the CPUID page fails with INVALID_PARAM: {} value(s) of {} entries rejected, "
            "the corrected page written back; the hypervisor does not retry",
            checked->rejected, checked->entries);
        return Fail(Error::kInvalidArgument);
    }
    log("PSP: CPUID page accepted: {} entries", checked->entries);
    return {};
}

class PlacingSink final : public igvm::LaunchSink {
public:
    PlacingSink(const GuestMemory& g, RmpSeam& rmp, const snp::CpuidEdits* edits, Launched& out)
        : guest_(g), rmp_(rmp), edits_(edits), out_(out) {}

    void page(igvm::SnpPageType type, uint64_t gpa, std::span<const uint8_t> contents) override {
        const auto hashed = contents.empty() ? warden::crypto::Sha384Digest{} : warden::crypto::sha384(contents);
        out_.digest = warden::crypto::sha384(igvm::page_info(out_.digest, hashed, type, gpa));
        ++out_.pages;
        if (failed_) return;
        if (type == igvm::SnpPageType::kVmsa) {
            // KVM keeps launch VMSAs outside guest memory (kKvmVmsaGpa); the first is the BSP's.
            if (vmsas_++ == 0 && contents.size() == igvm::kVmsaPageSize)
                std::memcpy(out_.bsp_vmsa.data(), contents.data(), igvm::kVmsaPageSize);
            return;
        }
        // Not through host_access.hpp: SNP_LAUNCH_UPDATE's copy into the page
        // is the PSP's, which encrypts it with the guest's key (SNP ABI 56860),
        // not a hypervisor write, so the page being the guest's is no refusal.
        auto dst = guest_.bytes(gpa, kPage);
        if (dst.empty() && type == igvm::SnpPageType::kNormal) {
            // The guest's firmware, in the flash's capacity (guest_memory.hpp).
            dst = guest_.flash_page(gpa);
            if (!dst.empty()) {
                ++out_.flash_pages;
                if (out_.flash_low == 0 || gpa < out_.flash_low) out_.flash_low = gpa;
            }
        }
        if (dst.empty()) {
            log("launch: page at GPA {:#x} lies outside guest memory (0..{:#x}), the flash ({:#x}..{:#x}) and the IGVM "
                "memory ({:#x}..{:#x})",
                gpa, guest_.size, GuestMemory::kFlashEnd - guest_.flash_capacity, GuestMemory::kFlashEnd,
                guest_.igvm_base, guest_.igvm_base + guest_.igvm_size);
            set_error(Error::kOutOfRange);
            return;
        }
        if (auto placed = rmp_.launch_page(gpa); !placed) {
            log("PSP: SNP_LAUNCH_UPDATE of GPA {:#x} refused by the RMP: {}", gpa, placed.error());
            set_error(placed.error());
            return;
        }
        switch (type) {
        case igvm::SnpPageType::kNormal: std::memcpy(dst.data(), contents.data(), kPage); break;
        case igvm::SnpPageType::kSecrets:
            out_.secrets_gpa = gpa;
            if (auto r = build_secrets(dst); !r) set_error(r.error());
            // The PSP keeps its own copy: the guest may clear the page's keys.
            for (size_t k = 0; k < sev::kVmpckCount; ++k)
                std::memcpy(out_.vmpck[k].data(), dst.data() + sev::kSecretsVmpck0 + k * sev::kVmpckSize,
                            sev::kVmpckSize);
            break;
        case igvm::SnpPageType::kCpuid: {
            out_.cpuid_gpa = gpa;
            auto r =
                launch_cpuid_page(std::span<uint8_t, sev::kCpuidPageSize>(dst.data(), sev::kCpuidPageSize), edits_);
            if (!r) set_error(r.error());
            break;
        }
        default: std::memset(dst.data(), 0, kPage); break;  // unmeasured, zero: filled later if a parameter
        }
    }
    Result<void> status() const {
        if (failed_) return Fail(error_);
        return {};
    }

private:
    const GuestMemory& guest_;
    RmpSeam& rmp_;
    const snp::CpuidEdits* edits_;
    Launched& out_;
    unsigned vmsas_ = 0;
    void set_error(Error e) { failed_ = true, error_ = e; }
    bool failed_ = false;
    Error error_ = Error::kInvalidArgument;
};

// The parameter areas: lib's placement over guest memory. KVM hands them to
// the PSP with SNP_LAUNCH_UPDATE (UNMEASURED pages, docs/igvm.md): the PSP's
// placement again, not a host write, so not through host_access.hpp.
class Window final : public igvm::GuestWindow {
public:
    explicit Window(const GuestMemory& g) : g_(g) {}
    std::span<uint8_t> bytes(uint64_t gpa, uint64_t len) override { return g_.bytes(gpa, len); }

private:
    const GuestMemory& g_;
};

}  // namespace

Result<IgvmMemory> igvm_memory(std::span<const uint8_t> file, uint64_t max_bytes) {
    WARDEN_TRY_VOID(igvm::parse(file, file_headers));
    constexpr uint64_t k2M = uint64_t{2} << 20, kGiB = uint64_t{1} << 30;
    uint64_t lo = ~uint64_t{0}, hi = 0;
    auto take = [&](uint64_t gpa, uint64_t size) {
        if (gpa < GuestMemory::kFlashEnd || size == 0) return;
        lo = gpa < lo ? gpa : lo;
        const uint64_t end = gpa + size < gpa ? ~uint64_t{0} : gpa + size;
        hi = end > hi ? end : hi;
    };
    // PAGE_DATA: u64 GPA at 0, u32 flags at 16 (bit 0: a 2 MiB page); REQUIRED_MEMORY:
    // u64 GPA at 0, u32 size at 12 (igvm_defs IGVM_VHS_PAGE_DATA, IGVM_VHS_REQUIRED_MEMORY).
    for (size_t i = 0; i < file_headers.count; ++i) {
        const igvm::Header& h = file_headers.headers[i];
        if (h.type == igvm::HeaderType::kPageData && h.body.size() >= 20) {
            const bool huge = warden::load_le<uint32_t>(h.body, 16) & igvm::kPageData2M;
            take(warden::load_le<uint64_t>(h.body, 0), huge ? k2M : kPage);
        } else if (h.type == igvm::HeaderType::kRequiredMemory && h.body.size() >= 16) {
            take(warden::load_le<uint64_t>(h.body, 0), warden::load_le<uint32_t>(h.body, 12));
        }
    }
    if (hi == 0) return IgvmMemory{};
    const IgvmMemory m{lo & ~(k2M - 1), ((hi + k2M - 1) & ~(k2M - 1)) - (lo & ~(k2M - 1))};
    if (!warden::within_one_block(m.base, m.size, kGiB) || m.base + m.size > kCBitMask || m.size > max_bytes) {
        log("launch: the file's memory above 4 GiB, GPA {:#x}..{:#x}, is not inside one 1 GiB-aligned GiB below the "
            "C-bit ({:#x}) and at most {} MiB: the host cannot back it",
            lo, hi, kCBitMask, max_bytes >> 20);
        return Fail(Error::kOutOfRange);
    }
    return m;
}

Result<void> launch(std::span<const uint8_t> file, const GuestMemory& guest, const LaunchChoices& choices, RmpSeam& rmp,
                    Launched& out) {
    WARDEN_TRY_VOID(igvm::parse(file, file_headers));
    PlacingSink sink(guest, rmp, choices.cpuid_edits, out);
    size_t at = 0;
    auto plan = igvm::plan_snp_launch(
        file_headers, file, igvm::LaunchConfig{.vcpus = choices.vcpus, .cpu_signature = choices.cpu_signature}, sink,
        &at);
    if (!plan) {
        log("launch: the file is refused at header {}: {}", at, plan.error());
        return Fail(plan.error());
    }
    WARDEN_TRY_VOID(sink.status());
    // The flash is one run of pages up to 4 GiB, as the packer lays the
    // image out: anything else would leave holes of guest memory in it.
    if (out.flash_pages != 0 && GuestMemory::kFlashEnd - out.flash_low != out.flash_pages * kPage) {
        log("launch: the firmware's {} pages in the flash do not run from {:#x} up to 4 GiB", out.flash_pages,
            out.flash_low);
        return Fail(Error::kInvalidArgument);
    }
    out.policy = plan->policy;
    Window window(guest);
    auto placed = igvm::place_host_parameters(file_headers, {.ram_bytes = guest.size, .vcpus = choices.vcpus}, window);
    if (!placed) return Fail(placed.error());
    return {};
}

}  // namespace snp_host
