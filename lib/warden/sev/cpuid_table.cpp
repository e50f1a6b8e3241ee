// SNP CPUID page parsing and lookup, and building one for a guest.
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

namespace {

constexpr uint32_t kXsaveLeaf = 0xd;
constexpr uint32_t kXsaveLegacySize = 0x240;  // legacy area + XSAVE header: the size for XCR0 = x87
constexpr uint32_t kXcr0X87 = 1;

void put(std::span<uint8_t> b, size_t at, uint64_t value, size_t n) {
    for (size_t i = 0; i < n; ++i) b[at + i] = static_cast<uint8_t>(value >> (8 * i));
}
void clear(std::span<uint8_t> b) {
    for (uint8_t& x : b) x = 0;
}

CpuidQuery normalized(CpuidQuery q) { return {q.leaf, cpuid_has_subleaves(q.leaf) ? q.subleaf : 0}; }

bool has_duplicates(std::span<const CpuidQuery> leaves) {
    for (size_t i = 0; i < leaves.size(); ++i) {
        const CpuidQuery a = normalized(leaves[i]);
        for (size_t j = 0; j < i; ++j) {
            const CpuidQuery b = normalized(leaves[j]);
            if (a.leaf == b.leaf && a.subleaf == b.subleaf) return true;
        }
    }
    return false;
}

// What decides whether a leaf goes in: the maximum leaf of each range (the
// EAX of its first leaf) and the XSAVE components, each asked once.
class Limits {
public:
    explicit Limits(CpuidSource cpuid) : cpuid_(cpuid) {}

    bool wanted(CpuidQuery q) {
        if (q.leaf > max_of(q.leaf)) return false;
        if (q.leaf != kXsaveLeaf || q.subleaf < 2) return true;
        return q.subleaf < 64 && ((xsave_components() >> q.subleaf) & 1) != 0;
    }

private:
    // Ranges: basic (0), hypervisor (0x40000000), extended (0x80000000), and
    // 0xC0000000, which no guest needs but which is answered the same way.
    uint32_t max_of(uint32_t leaf) {
        const uint32_t base = leaf & 0xc0000000u;
        const size_t i = base >> 30;
        if (!max_known_[i]) {
            max_[i] = cpuid_(base, 0).eax;
            max_known_[i] = true;
        }
        return max_[i];
    }
    uint64_t xsave_components() {
        if (!xsave_known_) {
            const CpuidResult xcr0 = cpuid_(kXsaveLeaf, 0), xss = cpuid_(kXsaveLeaf, 1);
            xsave_ = (uint64_t{xcr0.edx} << 32 | xcr0.eax) | (uint64_t{xss.edx} << 32 | xss.ecx);
            xsave_known_ = true;
        }
        return xsave_;
    }

    CpuidSource cpuid_;
    std::array<uint32_t, 4> max_{};
    std::array<bool, 4> max_known_{};
    uint64_t xsave_ = 0;
    bool xsave_known_ = false;
};

void put_entry(std::span<uint8_t> e, CpuidQuery q, CpuidResult r) {
    uint64_t xcr0_in = 0;
    if (q.leaf == kXsaveLeaf && q.subleaf < 2) {
        xcr0_in = kXcr0X87;
        r.ebx = kXsaveLegacySize;
    }
    put(e, 0, q.leaf, 4);
    put(e, 4, q.subleaf, 4);
    put(e, 8, xcr0_in, 8);
    put(e, 16, 0, 8);  // xss_in
    put(e, 24, r.eax, 4);
    put(e, 28, r.ebx, 4);
    put(e, 32, r.ecx, 4);
    put(e, 36, r.edx, 4);
    put(e, 40, 0, 8);  // reserved
}

}  // namespace

Result<size_t> build_cpuid_page(std::span<const CpuidQuery> leaves, CpuidSource cpuid,
                                std::span<uint8_t, kCpuidPageSize> out) {
    clear(out);
    if (leaves.size() > CpuidTable::kMaxEntries) return Fail(Error::kOutOfRange);
    if (has_duplicates(leaves)) return Fail(Error::kInvalidArgument);
    Limits limits(cpuid);
    size_t count = 0;
    for (const CpuidQuery& query : leaves) {
        const CpuidQuery q = normalized(query);
        if (!limits.wanted(q)) continue;
        const auto e = std::span<uint8_t>(out).subspan(CpuidTable::kHeaderSize + count * CpuidTable::kEntrySize,
                                                       CpuidTable::kEntrySize);
        put_entry(e, q, cpuid(q.leaf, q.subleaf));
        ++count;
    }
    put(out, 0, count, 4);
    return count;
}

namespace {

// Basic leaves: vendor and maximum, family/model and features, MONITOR/MWAIT,
// power management, structured features (7/0 and 7/1), extended topology
// (0xB levels 0 and 1; OVMF's MP code and Linux read them), and XSAVE:
// subleaves 0 and 1 and the state components 2 (AVX), 3-4 (MPX), 5-7
// (AVX-512), 8 (PT), 9 (PKRU), 10 (PASID), 11-12 (CET), 13-16, 17-18 (AMX),
// 19 (APX), of which only the ones the CPU reports go in: Linux and OVMF
// refuse an XCR0 whose components have no entry. Hypervisor leaves
// 0x40000000-1 (KVM's signature and features), when the source has them.
// Extended leaves: maximum, features, brand string, L1/L2/L3 caches, power
// management (invariant TSC), address sizes, cache topology (0x8000001D
// levels 0-3), AMD topology IDs, SEV capabilities (the C-bit position) and
// extended features 2 (0x80000021).
constexpr std::array<CpuidQuery, 46> kGuestLeaves = {{
    {0x0, 0},        {0x1, 0},        {0x5, 0},        {0x6, 0},        {0x7, 0},        {0x7, 1},
    {0xb, 0},        {0xb, 1},        {0xd, 0},        {0xd, 1},        {0xd, 2},        {0xd, 3},
    {0xd, 4},        {0xd, 5},        {0xd, 6},        {0xd, 7},        {0xd, 8},        {0xd, 9},
    {0xd, 10},       {0xd, 11},       {0xd, 12},       {0xd, 13},       {0xd, 14},       {0xd, 15},
    {0xd, 16},       {0xd, 17},       {0xd, 18},       {0xd, 19},       {0x40000000, 0}, {0x40000001, 0},
    {0x80000000, 0}, {0x80000001, 0}, {0x80000002, 0}, {0x80000003, 0}, {0x80000004, 0}, {0x80000005, 0},
    {0x80000006, 0}, {0x80000007, 0}, {0x80000008, 0}, {0x8000001d, 0}, {0x8000001d, 1}, {0x8000001d, 2},
    {0x8000001d, 3}, {0x8000001e, 0}, {0x8000001f, 0}, {0x80000021, 0},
}};
static_assert(kGuestLeaves.size() <= CpuidTable::kMaxEntries);

}  // namespace

std::span<const CpuidQuery> default_guest_leaves() { return kGuestLeaves; }

}  // namespace warden::sev
