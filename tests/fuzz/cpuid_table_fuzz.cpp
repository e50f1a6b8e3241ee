// libFuzzer target: the SNP CPUID page, parsed; and the same bytes read as
// leaves to build a page from, which must parse back.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/sev/cpuid_table.hpp"

using warden::sev::CpuidQuery;
using warden::sev::CpuidResult;
using warden::sev::CpuidTable;

namespace {
uint32_t le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t{p[3]} << 24; }

// A CPU whose answers are made from their inputs, with every range full.
CpuidResult fake_cpu(uint32_t leaf, uint32_t subleaf) {
    if ((leaf & 0x3fffffff) == 0) return {leaf | 0x3fffffff, 0, 0, 0};
    if (leaf == 0xd && subleaf < 2) return {0xffffffff, 0, 0xffffffff, 0xffffffff};
    return {leaf * 3 + subleaf, leaf ^ subleaf, ~subleaf, leaf + 1};
}

void build_and_parse(const uint8_t* data, size_t size) {
    std::array<CpuidQuery, 80> leaves{};
    const size_t n = size / 8 < leaves.size() ? size / 8 : leaves.size();
    for (size_t i = 0; i < n; ++i) leaves[i] = {le32(data + 8 * i), le32(data + 8 * i + 4)};
    std::array<uint8_t, warden::sev::kCpuidPageSize> page{};
    auto built = warden::sev::build_cpuid_page(std::span(leaves.data(), n), fake_cpu, page);
    if (!built) {
        if (page[0] != 0) __builtin_trap();  // an error leaves no entries
        return;
    }
    auto t = CpuidTable::parse(page);
    if (!t || t->size() != *built) __builtin_trap();
    for (size_t i = 0; i < n; ++i) {
        const auto [leaf, subleaf] = leaves[i];
        if (!t->contains(leaf, subleaf) || (leaf == 0xd && subleaf < 2)) continue;  // 0xD/0-1: EBX is set
        const CpuidResult want = fake_cpu(leaf, warden::sev::cpuid_has_subleaves(leaf) ? subleaf : 0);
        const CpuidResult got = t->lookup(leaf, subleaf);
        if (got.eax != want.eax || got.ebx != want.ebx || got.ecx != want.ecx || got.edx != want.edx) __builtin_trap();
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    build_and_parse(data, size);
    auto t = CpuidTable::parse(std::span<const uint8_t>(data, size));
    if (!t) return 0;
    if (t->size() > CpuidTable::kMaxEntries) __builtin_trap();
    // Every leaf the page holds is found again.
    for (size_t i = 0; i < t->size(); ++i) {
        const auto* e = data + CpuidTable::kHeaderSize + i * CpuidTable::kEntrySize;
        if (!t->contains(le32(e), le32(e + 4))) __builtin_trap();
    }
    return 0;
}
