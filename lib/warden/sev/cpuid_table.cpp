// SNP CPUID page parsing and lookup.
#include "warden/sev/cpuid_table.hpp"

#include "warden/bytes.hpp"

namespace warden::sev {

bool cpuid_has_subleaves(uint32_t leaf) {
    switch (leaf) {
    case 0x4:
    case 0x7:
    case 0xb:
    case 0xd:
    case 0xf:
    case 0x10:
    case 0x12:
    case 0x14:
    case 0x17:
    case 0x18:
    case 0x1d:
    case 0x1e:
    case 0x1f:
    case 0x24:
    case 0x8000001d:
    case 0x80000020:
    case 0x80000026: return true;
    default: return false;
    }
}

Result<CpuidTable> CpuidTable::parse(std::span<const uint8_t> page) {
    if (page.size() < kHeaderSize) return Fail(Error::kTruncated);
    const uint32_t count = load_le<uint32_t>(page, 0);
    if (count > kMaxEntries) return Fail(Error::kOutOfRange);
    if (page.size() < kHeaderSize + count * kEntrySize) return Fail(Error::kTruncated);
    CpuidTable t;
    for (size_t i = 0; i < count; ++i) {
        const auto e = page.subspan(kHeaderSize + i * kEntrySize, kEntrySize);
        Entry entry{load_le<uint32_t>(e, 0), load_le<uint32_t>(e, 4),
                    CpuidResult{load_le<uint32_t>(e, 24), load_le<uint32_t>(e, 28), load_le<uint32_t>(e, 32),
                                load_le<uint32_t>(e, 36)}};
        if (!cpuid_has_subleaves(entry.leaf)) entry.subleaf = 0;
        if (t.find(entry.leaf, entry.subleaf)) return Fail(Error::kInvalidArgument);
        t.entries_[t.count_++] = entry;
    }
    return t;
}

const CpuidTable::Entry* CpuidTable::find(uint32_t leaf, uint32_t subleaf) const {
    if (!cpuid_has_subleaves(leaf)) subleaf = 0;
    for (size_t i = 0; i < count_; ++i) {
        if (entries_[i].leaf == leaf && entries_[i].subleaf == subleaf) return &entries_[i];
    }
    return nullptr;
}

CpuidResult CpuidTable::lookup(uint32_t leaf, uint32_t subleaf) const {
    const Entry* e = find(leaf, subleaf);
    return e ? e->out : CpuidResult{};
}

bool CpuidTable::contains(uint32_t leaf, uint32_t subleaf) const { return find(leaf, subleaf) != nullptr; }

}  // namespace warden::sev
