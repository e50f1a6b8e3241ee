// The PSP's check of a hypervisor-supplied CPUID page at SNP_LAUNCH_UPDATE
// (PAGE_TYPE_CPUID; SNP Firmware ABI 56860, "CPUID Reporting"): each entry
// is held against what the CPU supports, and a rejected page is written back
// corrected, the launch update failing with INVALID_PARAM. The rules per
// function and register, their source (AMD's published SEV firmware) and
// what is simplified: docs/snp-host.md, "The PSP's CPUID check". Host-only,
// never in the kernel: lib/warden/snp/ is what the SNP hardware and PSP do.
#pragma once

#include <span>

#include "warden/result.hpp"
#include "warden/sev/cpuid_table.hpp"

namespace warden::snp {

// The page's layout (cpuid_table.hpp): u32 count, u32 + u64 reserved, then
// 48-byte entries {u32 eax_in, u32 ecx_in, u64 xcr0_in, u64 xss_in, u32 eax,
// ebx, ecx, edx, u64 reserved}; at most 64 of them.
inline constexpr size_t kCpuidMaxEntries = sev::CpuidTable::kMaxEntries;
inline constexpr size_t kCpuidHeaderSize = sev::CpuidTable::kHeaderSize;
inline constexpr size_t kCpuidEntrySize = sev::CpuidTable::kEntrySize;

// What a rejection names: an output register, an input the entry keys on,
// or the entry's reserved field.
enum class CpuidField : uint8_t { kEax, kEbx, kEcx, kEdx, kXcr0In, kXssIn, kReserved };
const char* cpuid_field_name(CpuidField f);

// Why a value is refused; the correction is `allowed` in every case.
enum class CpuidWhy : uint8_t {
    kUnsupportedBits,  // a feature bit the CPU does not report (bits may only be cleared)
    kNotExact,         // the value must be the CPU's
    kAboveCpu,         // a count, size or maximum above the CPU's (bits: the field)
    kAboveCpuFms,      // family, model, stepping above the CPU's (CPUID 1 EAX)
    kRequiredBits,     // bits that must be set are clear (0xD/0 EAX: x87, SSE)
    kXsaveSize,        // 0xD/0 or 0xD/1 EBX is not the XSAVE size for XCR0_IN/XSS_IN
    kUnknownFunction,  // an architectural function the PSP does not know: must read as zero
    kBadXcr0In,        // XCR0_IN is no XCR0 this CPU takes (x87 clear, unsupported bits)
    kBadXssIn,         // XSS_IN has components the CPU does not report
    kReservedNotZero,  // the entry's reserved field
};
const char* cpuid_why_text(CpuidWhy w);

// One refused value. `bits` is what the rule objects to: the unsupported
// or missing bits, the field of a count, or proposed ^ allowed.
struct CpuidRejection {
    size_t entry = 0;
    uint32_t function = 0, subleaf = 0;
    CpuidField field = CpuidField::kEax;
    CpuidWhy why = CpuidWhy::kNotExact;
    uint64_t proposed = 0, allowed = 0, bits = 0;
};

// Where the check reports each rejection, in entry then register order.
class CpuidRejectionSink {
public:
    virtual void rejected(const CpuidRejection& r) = 0;

protected:
    ~CpuidRejectionSink() = default;
};

struct CpuidCheckResult {
    size_t entries = 0;   // the page's count
    size_t rejected = 0;  // rejections reported; 0: the page is accepted as it is
    bool accepted() const { return rejected == 0; }
};

// Checks `page` against `cpu` (the CPU's own CPUID answers, including the SEV
// leaf 0x8000001F) and corrects every rejected value in place, as the
// firmware writes the page back. An accepted page is left byte for byte;
// a corrected page is accepted when checked again.
// Refused outright, the page untouched and no correction (the firmware
// fails with INVALID_PARAM before looking at entries): kInvalidArgument for
// a non-zero reserved header field or two entries with the same inputs
// (eax_in, ecx_in, xcr0_in, xss_in), kOutOfRange for a count above 64.
// Only the first 16 + count * 48 bytes are read.
Result<CpuidCheckResult> check_cpuid_page(std::span<uint8_t, sev::kCpuidPageSize> page, sev::CpuidSource cpu,
                                          CpuidRejectionSink& sink);

template <sev::CpuidFunction Fn>
Result<CpuidCheckResult> check_cpuid_page(std::span<uint8_t, sev::kCpuidPageSize> page, Fn cpu,
                                          CpuidRejectionSink& sink) {
    auto call = [](void* context, uint32_t leaf, uint32_t subleaf) -> sev::CpuidResult {
        return (*static_cast<Fn*>(context))(leaf, subleaf);
    };
    return check_cpuid_page(page, sev::CpuidSource{call, &cpu}, sink);
}

}  // namespace warden::snp
