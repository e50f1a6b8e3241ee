// Edits a test makes to the CPUID page the hypervisor proposes at launch, so
// that the PSP's check (cpuid_check.hpp) has something to reject: snp-host
// reads them from fw_cfg opt/snp-host/cpuid (docs/snp-host.md). The text is
// edits separated by ';' or newlines, each FUNCTION:SUBLEAF:FIELD OP VALUE
// with no spaces: numbers decimal or 0x hex, FIELD one of eax ebx ecx edx
// xcr0_in xss_in reserved, OP one of = |= &= ^=. Example: 0x7:0:ebx|=0x10000.
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "warden/result.hpp"
#include "warden/sev/cpuid_table.hpp"
#include "warden/snp/cpuid_check.hpp"

namespace warden::snp {

enum class CpuidEditOp : uint8_t { kSet, kOr, kAnd, kXor };

struct CpuidEdit {
    uint32_t function = 0, subleaf = 0;
    CpuidField field = CpuidField::kEax;
    CpuidEditOp op = CpuidEditOp::kSet;
    uint64_t value = 0;
};

struct CpuidEdits {
    static constexpr size_t kMax = 8;
    std::array<CpuidEdit, kMax> edits{};
    size_t count = 0;
};

// Where and why a text is refused.
struct CpuidEditSyntax {
    size_t at = 0;  // byte offset of the offending edit
    const char* what = "";
};

// kInvalidArgument with `why` filled: an edit that does not follow the
// grammar above, a value too wide for its field, more than kMax edits, or an
// empty text.
Result<CpuidEdits> parse_cpuid_edits(std::string_view text, CpuidEditSyntax* why = nullptr);

// Applies the edits in order to the first entry with that function and
// subleaf, appending a zero entry (count + 1) when there is none.
// kOutOfRange: the page already holds 64 entries (or its count is above 64).
Result<void> apply_cpuid_edits(const CpuidEdits& edits, std::span<uint8_t, sev::kCpuidPageSize> page);

}  // namespace warden::snp
