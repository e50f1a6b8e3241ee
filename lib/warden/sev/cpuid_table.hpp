// The SNP CPUID page (SEV-SNP Firmware ABI 56860, "CPUID reporting"): the
// CPUID results the PSP checked at launch, which a #VC handler must prefer
// over the hypervisor's answers. 4 KiB: u32 count, u32 + u64 reserved, then up
// to 64 entries of 48 bytes {u32 eax_in, u32 ecx_in, u64 xcr0_in, u64 xss_in,
// u32 eax, ebx, ecx, edx, u64 reserved}. The page is copied, then parsed;
// an SVSM also builds one for the guest firmware it starts.
#pragma once

#include <array>
#include <span>
#include <type_traits>

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

inline constexpr size_t kCpuidPageSize = 4096;

// One (leaf, subleaf) to put in a CPUID page; the subleaf counts only for
// leaves that have subleaves, as in CpuidTable.
struct CpuidQuery {
    uint32_t leaf = 0, subleaf = 0;
};

// Where build_cpuid_page gets its answers: a plain function and its context
// (freestanding code has no std::function).
struct CpuidSource {
    CpuidResult (*call)(void* context, uint32_t leaf, uint32_t subleaf) = nullptr;
    void* context = nullptr;
    CpuidResult operator()(uint32_t leaf, uint32_t subleaf) const { return call(context, leaf, subleaf); }
};

// Writes a CPUID page in the format CpuidTable::parse reads, with cpuid's
// answers to `leaves`, in their order, and returns the number of entries.
// Skipped: a leaf above the maximum its range reports (EAX of leaf 0,
// 0x40000000 or 0x80000000, asked through cpuid), and a leaf 0xD subleaf
// n >= 2 for an XSAVE component the CPU does not report (bit n of 0xD/0
// EDX:EAX or 0xD/1 EDX:ECX). Leaf 0xD subleaves 0 and 1 are the XCR0 = x87
// entries Linux looks up (xcr0_in 1, xss_in 0, EBX 0x240, as QEMU fills them):
// guests compute the XSAVE size for their own XCR0 from the other subleaves.
// Errors: kOutOfRange (more than 64 leaves), kInvalidArgument (a (leaf,
// subleaf) twice). Both are decided from `leaves` alone, whatever the CPU;
// on an error `out` is all zeros (a page of no entries).
Result<size_t> build_cpuid_page(std::span<const CpuidQuery> leaves, CpuidSource cpuid,
                                std::span<uint8_t, kCpuidPageSize> out);

// The same with any callable `cpuid(leaf, subleaf) -> CpuidResult`.
template <typename Fn>
concept CpuidFunction = std::is_invocable_r_v<CpuidResult, Fn&, uint32_t, uint32_t>;

template <CpuidFunction Fn>
Result<size_t> build_cpuid_page(std::span<const CpuidQuery> leaves, Fn cpuid, std::span<uint8_t, kCpuidPageSize> out) {
    auto call = [](void* context, uint32_t leaf, uint32_t subleaf) -> CpuidResult {
        return (*static_cast<Fn*>(context))(leaf, subleaf);
    };
    return build_cpuid_page(leaves, CpuidSource{call, &cpuid}, out);
}

// The leaves a guest firmware and the OS after it look up (OVMF, Linux), for
// build_cpuid_page: at most 64, no two alike.
std::span<const CpuidQuery> default_guest_leaves();

}  // namespace warden::sev
