// The SNP CPUID page (SEV-SNP Firmware ABI 56860, "CPUID reporting"): the
// CPUID results the PSP checked at launch, which a #VC handler must prefer
// over the hypervisor's answers. 4 KiB: u32 count, u32 + u64 reserved, then up
// to 64 entries of 48 bytes {u32 eax_in, u32 ecx_in, u64 xcr0_in, u64 xss_in,
// u32 eax, ebx, ecx, edx, u64 reserved}. The page is copied, then parsed.
#pragma once

#include <array>
#include <span>

#include "warden/result.hpp"

namespace warden::sev {

struct CpuidResult {
    uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

class CpuidTable {
public:
    static constexpr size_t kMaxEntries = 64;
    static constexpr size_t kHeaderSize = 16, kEntrySize = 48;

    // kTruncated: the span cannot hold `count` entries; kOutOfRange: count >
    // 64; kInvalidArgument: two entries answer the same (leaf, subleaf).
    static Result<CpuidTable> parse(std::span<const uint8_t> page);

    // The entry for (leaf, subleaf); the subleaf counts only for the leaves
    // that have subleaves (4, 7, 0xB, 0xD, ...). A leaf the table does not
    // hold reads as zeros, as on AMD hardware for an unimplemented leaf.
    CpuidResult lookup(uint32_t leaf, uint32_t subleaf) const;
    bool contains(uint32_t leaf, uint32_t subleaf) const;
    size_t size() const { return count_; }

private:
    struct Entry {
        uint32_t leaf, subleaf;
        CpuidResult out;
    };
    const Entry* find(uint32_t leaf, uint32_t subleaf) const;
    std::array<Entry, kMaxEntries> entries_{};
    size_t count_ = 0;
};

// Leaves whose ECX input selects a subleaf.
bool cpuid_has_subleaves(uint32_t leaf);

}  // namespace warden::sev
