// libFuzzer target: the SNP CPUID page.
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/sev/cpuid_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using warden::sev::CpuidTable;
    auto t = CpuidTable::parse(std::span<const uint8_t>(data, size));
    if (!t) return 0;
    if (t->size() > CpuidTable::kMaxEntries) __builtin_trap();
    // Every leaf the page holds is found again.
    for (size_t i = 0; i < t->size(); ++i) {
        const auto* e = data + CpuidTable::kHeaderSize + i * CpuidTable::kEntrySize;
        const uint32_t leaf = e[0] | e[1] << 8 | e[2] << 16 | uint32_t{e[3]} << 24;
        const uint32_t sub = e[4] | e[5] << 8 | e[6] << 16 | uint32_t{e[7]} << 24;
        if (!t->contains(leaf, sub)) __builtin_trap();
    }
    return 0;
}
