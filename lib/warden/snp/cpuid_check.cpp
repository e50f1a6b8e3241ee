// The PSP's CPUID policy: which register of which function must match the
// CPU, may only clear bits, may only be lower, or is free; and the check of
// a page against it. Rules: AMD's published SEV firmware (github.com/amd/
// AMD-ASPFW, sev_uapp cpuid_lookup.c and sev_mcmd.c, SNP_LAUNCH_UPDATE of a
// CPUID page), which cites "PPR 2.1.5.3 CPUID Policy Enforcement"; our
// readings where it says nothing are marked "strict reading".
#include "warden/snp/cpuid_check.hpp"

#include <array>
#include <bit>

#include "warden/bytes.hpp"

namespace warden::snp {
namespace {

using sev::CpuidResult;
using sev::CpuidSource;

// How the bits of one field of a register are held against the CPU's.
enum class Rule : uint8_t {
    kFree,         // not checked ("Unchecked")
    kMask,         // only bits the CPU reports ("Bitmask")
    kExact,        // the CPU's value ("Strict")
    kAtMost,       // a number no greater than the CPU's ("LessThan")
    kFms,          // family, model, stepping no later than the CPU's (CPUID 1 EAX)
    kRequired,     // must be set
    kXsaveStd,     // 0xD/0 EBX: the standard-format XSAVE size for XCR0_IN
    kXsaveCompact  // 0xD/1 EBX: the compacted size for XCR0_IN | XSS_IN
};

struct Field {
    uint32_t bits = 0;
    Rule rule = Rule::kFree;
};

// A register: up to three fields, and the rule for every other bit.
struct Reg {
    Rule rest = Rule::kFree;
    std::array<Field, 3> fields{};
};

constexpr Reg kFree{Rule::kFree}, kMask{Rule::kMask}, kExact{Rule::kExact}, kAtMost{Rule::kAtMost};

struct Policy {
    uint32_t leaf, subleaf;
    std::array<Reg, 4> regs;  // EAX, EBX, ECX, EDX
};

// CPUID 1 EAX and 0x80000001 EAX: family/model/stepping in 27:20, 19:16,
// 11:8, 7:4, 3:0; bits 31:28 and 15:12 reserved (AMD APM vol. 3 E.3.2).
constexpr uint32_t kFmsBits = 0x0fff'0fff;
constexpr Reg kFmsReg{Rule::kExact, {{{kFmsBits, Rule::kFms}}}};

// The firmware's table, function by function (AMD-ASPFW cpuid_lookup.c
// lookup_table and its FNxxxxxxxx_CUSTOM functions). A function missing here
// that lies in the architectural ranges must read as all zeros.
constexpr Policy kPolicies[] = {
    {0x0, 0, {kAtMost, kFree, kFree, kFree}},
    // EBX: CLFLUSH size 15:8 strict, 7:0 reserved, the rest (APIC ID,
    // logical count) free. ECX: OSXSAVE (27) and the hypervisor bit (31)
    // free, the rest a bitmask.
    {0x1,
     0,
     {kFmsReg, Reg{Rule::kFree, {{{0xff00, Rule::kExact}, {0xff, Rule::kExact}}}},
      Reg{Rule::kMask, {{{1u << 27, Rule::kFree}, {1u << 31, Rule::kFree}}}}, kMask}},
    {0x2, 0, {kFree, kFree, kFree, kFree}},
    {0x4, 0, {kFree, kFree, kFree, kFree}},
    {0x5, 0, {kFree, kFree, kFree, kFree}},
    {0x6, 0, {kMask, kExact, kMask, kExact}},
    // 7/0 EAX: the highest subleaf; ECX: OSPKE (4) free.
    {0x7, 0, {kAtMost, kMask, Reg{Rule::kMask, {{{1u << 4, Rule::kFree}}}}, kMask}},
    {0x7, 1, {kMask, kExact, kExact, kExact}},
    {0xb, 0, {kFree, kFree, kFree, kFree}},
    {0xb, 1, {kFree, kFree, kFree, kFree}},
    {0xb, 2, {kFree, kFree, kFree, kFree}},
    // 0xD/0 EAX: x87 and SSE set, the other components a bitmask; ECX (the
    // size for every supported component) free; EDX (XCR0 63:32) strict.
    {0xd, 0, {Reg{Rule::kMask, {{{0x3, Rule::kRequired}}}}, Reg{Rule::kXsaveStd}, kFree, kExact}},
    {0xd, 1, {kMask, Reg{Rule::kXsaveCompact}, kMask, kMask}},
    {0xd, 2, {kExact, kExact, kExact, kExact}},
    {0xd, 5, {kExact, kExact, kMask, kExact}},
    {0xd, 6, {kExact, kExact, kMask, kExact}},
    {0xd, 7, {kExact, kExact, kMask, kExact}},
    {0xd, 9, {kExact, kExact, kExact, kExact}},
    {0xd, 11, {kExact, kExact, kExact, kExact}},
    {0xd, 12, {kExact, kExact, kExact, kExact}},
    {0xf, 0, {kExact, kFree, kExact, kFree}},
    {0xf, 1, {kFree, kFree, kFree, kFree}},
    {0x10, 0, {kExact, kFree, kExact, kExact}},
    {0x10, 1, {kFree, kFree, kFree, kFree}},
    {0x80000000, 0, {kAtMost, kFree, kFree, kFree}},
    {0x80000001, 0, {kFmsReg, kFree, kMask, kMask}},
    {0x80000002, 0, {kFree, kFree, kFree, kFree}},
    {0x80000003, 0, {kFree, kFree, kFree, kFree}},
    {0x80000004, 0, {kFree, kFree, kFree, kFree}},
    {0x80000005, 0, {kFree, kFree, kFree, kFree}},
    {0x80000006, 0, {kFree, kFree, kFree, kFree}},
    {0x80000007, 0, {kExact, kMask, kFree, kMask}},
    // EAX: physical, linear and guest-physical address sizes, each no more
    // than the CPU's; EDX: INVLPGB count 15:0 and RDPRU maximum 23:16.
    {0x80000008,
     0,
     {Reg{Rule::kExact, {{{0xff, Rule::kAtMost}, {0xff00, Rule::kAtMost}, {0xff'0000, Rule::kAtMost}}}}, kMask, kFree,
      Reg{Rule::kExact, {{{0xffff, Rule::kAtMost}, {0xff'0000, Rule::kAtMost}}}}}},
    {0x8000000a, 0, {kFree, kFree, kExact, kMask}},
    {0x80000019, 0, {kFree, kFree, kExact, kExact}},
    {0x8000001a, 0, {kFree, kExact, kExact, kExact}},
    {0x8000001b, 0, {kMask, kExact, kExact, kExact}},
    {0x8000001d, 0, {kFree, kFree, kFree, kFree}},
    {0x8000001d, 1, {kFree, kFree, kFree, kFree}},
    {0x8000001d, 2, {kFree, kFree, kFree, kFree}},
    {0x8000001d, 3, {kFree, kFree, kFree, kFree}},
    {0x8000001d, 4, {kFree, kExact, kFree, kExact}},
    {0x8000001e, 0, {kFree, kFree, kFree, kFree}},
    // SEV: EAX a bitmask; EBX: C-bit 5:0 strict, PhysAddrReduction 11:6 free,
    // number of VMPLs 15:12 at most the CPU's, the rest strict; ECX, EDX free.
    {0x8000001f,
     0,
     {kMask, Reg{Rule::kExact, {{{0x3f, Rule::kExact}, {0xfc0, Rule::kFree}, {0xf000, Rule::kAtMost}}}}, kFree, kFree}},
    {0x80000020, 0, {kExact, kFree, kExact, kExact}},
    {0x80000020, 1, {kFree, kExact, kExact, kFree}},
    {0x80000020, 2, {kFree, kExact, kExact, kFree}},
    {0x80000020, 3, {kExact, kFree, kMask, kExact}},
    {0x80000021, 0, {kMask, kFree, kExact, kExact}},
    // EBX: performance counters 3:0 and LBR stack size 9:4 at most the CPU's.
    {0x80000022, 0, {kMask, Reg{Rule::kFree, {{{0xf, Rule::kAtMost}, {0x3f0, Rule::kAtMost}}}}, kFree, kExact}},
    {0x80000023, 0, {kMask, kFree, kExact, kExact}},
    {0x80000024, 0, {kAtMost, kMask, kMask, kExact}},
    {0x80000024, 1, {kMask, kExact, kExact, kExact}},
    {0x80000026, 0, {kFree, kFree, kFree, kFree}},
    {0x80000026, 1, {kFree, kFree, kFree, kFree}},
    {0x80000026, 2, {kFree, kFree, kFree, kFree}},
    {0x80000026, 3, {kFree, kFree, kFree, kFree}},
};

const Policy* find_policy(uint32_t leaf, uint32_t subleaf) {
    for (const Policy& p : kPolicies) {
        if (p.leaf == leaf && p.subleaf == subleaf) return &p;
    }
    return nullptr;
}

// Only the standard and extended ranges are checked (AMD-ASPFW
// sanitize_cpuid_list: CPUID_STD_RANGE 0-0xFFFF, CPUID_EXT_RANGE
// 0x80000000-0x8000FFFF); the hypervisor range 0x40000000 is the VMM's own.
bool architectural(uint32_t leaf) { return leaf <= 0xffff || (leaf >= 0x80000000 && leaf <= 0x8000ffff); }

constexpr uint32_t kXsaveLeaf = 0xd;
constexpr uint32_t kXsaveLegacySize = 0x240;  // legacy area + XSAVE header
constexpr uint64_t kXcr0X87 = 1;

// The CPU the page is held against. A function above its range's maximum
// does not exist on the CPU and reads as zeros (strict reading: a real PSP's
// table has no row for it either).
class Reference {
public:
    explicit Reference(CpuidSource cpu) : cpu_(cpu) {}

    CpuidResult leaf(uint32_t leaf, uint32_t subleaf) {
        const uint32_t base = leaf & 0xc0000000u;
        if (leaf != base && leaf > cpu_(base, 0).eax) return {};
        return cpu_(leaf, subleaf);
    }
    uint64_t xcr0_supported() {
        const CpuidResult r = leaf(kXsaveLeaf, 0);
        return uint64_t{r.edx} << 32 | r.eax;
    }
    uint64_t xss_supported() {
        const CpuidResult r = leaf(kXsaveLeaf, 1);
        return uint64_t{r.edx} << 32 | r.ecx;
    }
    // XSAVE sizes from the CPU's own component table (0xD/n EAX size, EBX
    // offset, ECX bit 1 64-byte alignment in the compacted format; Intel
    // SDM vol. 1 13.4.3, AMD APM vol. 3 E.3.9). AMD's firmware writes out the
    // same sums for its CPU (0x240 + AVX 0x100 ...).
    uint32_t xsave_standard(uint64_t xcr0) {
        uint32_t size = kXsaveLegacySize;
        for (uint32_t i = 2; i < 64; ++i) {
            if (((xcr0 >> i) & 1) == 0) continue;
            const CpuidResult c = leaf(kXsaveLeaf, i);
            if (c.eax != 0 && c.ebx + c.eax > size) size = c.ebx + c.eax;
        }
        return size;
    }
    uint32_t xsave_compacted(uint64_t components) {
        uint32_t size = kXsaveLegacySize;
        for (uint32_t i = 2; i < 64; ++i) {
            if (((components >> i) & 1) == 0) continue;
            const CpuidResult c = leaf(kXsaveLeaf, i);
            if ((c.ecx & 2) != 0) size = (size + 63) & ~63u;
            size += c.eax;
        }
        return size;
    }

private:
    CpuidSource cpu_;
};

struct Entry {
    uint32_t leaf, subleaf;
    uint64_t xcr0_in, xss_in;
    std::array<uint32_t, 4> out;
    uint64_t reserved;
};

Entry load_entry(std::span<const uint8_t> e) {
    return {load_le<uint32_t>(e, 0),
            load_le<uint32_t>(e, 4),
            load_le<uint64_t>(e, 8),
            load_le<uint64_t>(e, 16),
            {load_le<uint32_t>(e, 24), load_le<uint32_t>(e, 28), load_le<uint32_t>(e, 32), load_le<uint32_t>(e, 36)},
            load_le<uint64_t>(e, 40)};
}

void store(std::span<uint8_t> b, size_t at, uint64_t value, size_t n) {
    for (size_t i = 0; i < n; ++i) b[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

void store_entry(std::span<uint8_t> e, const Entry& v) {
    store(e, 8, v.xcr0_in, 8);
    store(e, 16, v.xss_in, 8);
    for (size_t r = 0; r < 4; ++r) store(e, 24 + 4 * r, v.out[r], 4);
    store(e, 40, v.reserved, 8);
}

std::span<uint8_t> entry_bytes(std::span<uint8_t> page, size_t i) {
    return page.subspan(kCpuidHeaderSize + i * kCpuidEntrySize, kCpuidEntrySize);
}

bool xsave_sized(const Entry& e) { return e.leaf == kXsaveLeaf && e.subleaf < 2; }

// What XCR0_IN and XSS_IN of a 0xD/0-1 entry are corrected to: x87 always
// set, only components the CPU reports.
uint64_t usable_xcr0(uint64_t xcr0, Reference& cpu) { return (xcr0 & cpu.xcr0_supported()) | kXcr0X87; }
uint64_t usable_xss(uint64_t xss, Reference& cpu) { return xss & cpu.xss_supported(); }

// Two entries answer the same question: same function and subleaf, and for
// 0xD/0-1 the same XCR0_IN and XSS_IN once corrected (so no correction can
// make two entries alike). The firmware does not look for this; a guest
// could not tell which applies (strict reading).
bool has_duplicates(std::span<uint8_t> page, size_t count, Reference& cpu) {
    for (size_t i = 0; i < count; ++i) {
        const Entry a = load_entry(entry_bytes(page, i));
        for (size_t j = 0; j < i; ++j) {
            const Entry b = load_entry(entry_bytes(page, j));
            if (a.leaf != b.leaf || a.subleaf != b.subleaf) continue;
            if (!xsave_sized(a)) return true;
            if (usable_xcr0(a.xcr0_in, cpu) == usable_xcr0(b.xcr0_in, cpu) &&
                usable_xss(a.xss_in, cpu) == usable_xss(b.xss_in, cpu))
                return true;
        }
    }
    return false;
}

constexpr CpuidWhy why_of(Rule r) {
    switch (r) {
    case Rule::kMask: return CpuidWhy::kUnsupportedBits;
    case Rule::kAtMost: return CpuidWhy::kAboveCpu;
    case Rule::kFms: return CpuidWhy::kAboveCpuFms;
    case Rule::kRequired: return CpuidWhy::kRequiredBits;
    case Rule::kXsaveStd:
    case Rule::kXsaveCompact: return CpuidWhy::kXsaveSize;
    default: return CpuidWhy::kNotExact;
    }
}

// Family, model, stepping as AMD decodes them (APM vol. 3 E.3.2: the
// extended fields count only when the base family is 0xF), in order.
uint32_t fms_order(uint32_t eax) {
    const uint32_t base_family = (eax >> 8) & 0xf, base_model = (eax >> 4) & 0xf, stepping = eax & 0xf;
    const bool extended = base_family == 0xf;
    const uint32_t family = base_family + (extended ? (eax >> 20) & 0xff : 0);
    const uint32_t model = extended ? ((eax >> 16) & 0xf) << 4 | base_model : base_model;
    return family << 12 | model << 4 | stepping;
}

struct Violation {
    CpuidWhy why;
    uint32_t bits;
};

// The value the field may keep, given the proposed one; records a violation.
class RegisterCheck {
public:
    RegisterCheck(uint32_t proposed, uint32_t cpu) : allowed_(proposed), proposed_(proposed), cpu_(cpu) {}

    void field(uint32_t bits, Rule rule, uint32_t xsave_size) {
        const uint32_t mine = proposed_ & bits, theirs = cpu_ & bits;
        const unsigned shift = bits == 0 ? 0 : std::countr_zero(bits);
        switch (rule) {
        case Rule::kFree: return;
        case Rule::kMask:
            if ((mine & ~theirs) != 0) refuse(rule, mine & ~theirs, mine & theirs, bits);
            return;
        case Rule::kExact:
            if (mine != theirs) refuse(rule, mine ^ theirs, theirs, bits);
            return;
        case Rule::kAtMost:
            if ((mine >> shift) > (theirs >> shift)) refuse(rule, bits, theirs, bits);
            return;
        case Rule::kFms:
            if (fms_order(mine) > fms_order(theirs)) refuse(rule, bits, theirs, bits);
            return;
        case Rule::kRequired:
            if (mine != bits) refuse(rule, bits & ~mine, bits, bits);
            return;
        case Rule::kXsaveStd:
        case Rule::kXsaveCompact:
            if (proposed_ != xsave_size) refuse(rule, proposed_ ^ xsave_size, xsave_size, ~0u);
            return;
        }
    }
    uint32_t allowed() const { return allowed_; }
    std::span<const Violation> violations() const { return std::span(found_.data(), count_); }

private:
    void refuse(Rule rule, uint32_t bad, uint32_t keep, uint32_t bits) {
        allowed_ = (allowed_ & ~bits) | keep;
        found_[count_++] = {why_of(rule), bad};
    }
    uint32_t allowed_, proposed_, cpu_;
    std::array<Violation, 4> found_{};
    size_t count_ = 0;
};

class EntryCheck {
public:
    EntryCheck(size_t index, Entry& e, CpuidRejectionSink& sink) : index_(index), e_(e), sink_(sink) {}

    void report(CpuidField field, CpuidWhy why, uint64_t proposed, uint64_t allowed, uint64_t bits) {
        sink_.rejected({index_, e_.leaf, e_.subleaf, field, why, proposed, allowed, bits});
        ++rejected_;
    }
    void reg(size_t r, const Reg& spec, uint32_t cpu, uint32_t xsave_size) {
        RegisterCheck check(e_.out[r], cpu);
        uint32_t covered = 0;
        for (const Field& f : spec.fields) {
            check.field(f.bits, f.rule, xsave_size);
            covered |= f.bits;
        }
        check.field(~covered, spec.rest, xsave_size);
        for (const Violation& v : check.violations())
            report(static_cast<CpuidField>(r), v.why, e_.out[r], check.allowed(), v.bits);
        e_.out[r] = check.allowed();
    }
    // 0xD/0-1 are answered for the XCR0 and XSS the entry names: they must
    // be values XSETBV / WRMSR IA32_XSS accept on this CPU (x87 always set,
    // only supported components; APM vol. 3 XSETBV). The firmware takes
    // them as given (strict reading).
    void xsave_inputs(Reference& cpu) {
        const uint64_t xcr0 = usable_xcr0(e_.xcr0_in, cpu);
        if (xcr0 != e_.xcr0_in) report(CpuidField::kXcr0In, CpuidWhy::kBadXcr0In, e_.xcr0_in, xcr0, xcr0 ^ e_.xcr0_in);
        const uint64_t xss = usable_xss(e_.xss_in, cpu);
        if (xss != e_.xss_in) report(CpuidField::kXssIn, CpuidWhy::kBadXssIn, e_.xss_in, xss, xss ^ e_.xss_in);
        e_.xcr0_in = xcr0;
        e_.xss_in = xss;
    }
    size_t rejected() const { return rejected_; }

private:
    size_t index_;
    Entry& e_;
    CpuidRejectionSink& sink_;
    size_t rejected_ = 0;
};

size_t check_entry(std::span<uint8_t> bytes, size_t index, Reference& cpu, CpuidRejectionSink& sink) {
    Entry e = load_entry(bytes);
    if (!architectural(e.leaf)) return 0;
    EntryCheck check(index, e, sink);
    // The entry's reserved field must be zero; the firmware fails the page
    // but writes it back unchanged, here it is corrected to zero (so the
    // corrected page passes: docs/snp-host.md).
    if (e.reserved != 0) check.report(CpuidField::kReserved, CpuidWhy::kReservedNotZero, e.reserved, 0, e.reserved);
    e.reserved = 0;
    const Policy* policy = find_policy(e.leaf, e.subleaf);
    if (policy == nullptr) {
        for (size_t r = 0; r < 4; ++r) {
            if (e.out[r] != 0)
                check.report(static_cast<CpuidField>(r), CpuidWhy::kUnknownFunction, e.out[r], 0, e.out[r]);
            e.out[r] = 0;
        }
    } else {
        uint32_t xsave_size = 0;
        if (xsave_sized(e)) {
            check.xsave_inputs(cpu);
            xsave_size = e.subleaf == 0 ? cpu.xsave_standard(e.xcr0_in) : cpu.xsave_compacted(e.xcr0_in | e.xss_in);
        }
        const CpuidResult ref = cpu.leaf(e.leaf, e.subleaf);
        const std::array<uint32_t, 4> theirs = {ref.eax, ref.ebx, ref.ecx, ref.edx};
        for (size_t r = 0; r < 4; ++r) check.reg(r, policy->regs[r], theirs[r], xsave_size);
    }
    if (check.rejected() != 0) store_entry(bytes, e);
    return check.rejected();
}

}  // namespace

const char* cpuid_field_name(CpuidField f) {
    switch (f) {
    case CpuidField::kEax: return "EAX";
    case CpuidField::kEbx: return "EBX";
    case CpuidField::kEcx: return "ECX";
    case CpuidField::kEdx: return "EDX";
    case CpuidField::kXcr0In: return "XCR0_IN";
    case CpuidField::kXssIn: return "XSS_IN";
    case CpuidField::kReserved: return "reserved";
    }
    return "?";
}

const char* cpuid_why_text(CpuidWhy w) {
    switch (w) {
    case CpuidWhy::kUnsupportedBits: return "the CPU does not support";
    case CpuidWhy::kNotExact: return "that differ from the CPU's, which it must equal";
    case CpuidWhy::kAboveCpu: return "holding a value above the CPU's";
    case CpuidWhy::kAboveCpuFms: return "naming a family/model/stepping later than the CPU's";
    case CpuidWhy::kRequiredBits: return "clear that must be set";
    case CpuidWhy::kXsaveSize: return "off the XSAVE size for its XCR0_IN/XSS_IN";
    case CpuidWhy::kUnknownFunction: return "set in a function the PSP does not know, which must read as zero";
    case CpuidWhy::kBadXcr0In: return "making it no XCR0 the CPU takes (x87 clear or unsupported components)";
    case CpuidWhy::kBadXssIn: return "naming XSS components the CPU does not support";
    case CpuidWhy::kReservedNotZero: return "set in a reserved field";
    }
    return "?";
}

Result<CpuidCheckResult> check_cpuid_page(std::span<uint8_t, sev::kCpuidPageSize> page, CpuidSource cpu,
                                          CpuidRejectionSink& sink) {
    // AMD-ASPFW sev_mcmd.c, SNP_LAUNCH_UPDATE of a CPUID page: the header's
    // reserved fields must be zero and the count at most
    // SNP_CPUID_COUNT_MAX (64), or INVALID_PARAM with nothing written back.
    const uint32_t count = load_le<uint32_t>(page, 0);
    if (load_le<uint32_t>(page, 4) != 0 || load_le<uint64_t>(page, 8) != 0) return Fail(Error::kInvalidArgument);
    if (count > kCpuidMaxEntries) return Fail(Error::kOutOfRange);
    Reference reference(cpu);
    if (has_duplicates(page, count, reference)) return Fail(Error::kInvalidArgument);
    CpuidCheckResult result{count, 0};
    for (size_t i = 0; i < count; ++i) result.rejected += check_entry(entry_bytes(page, i), i, reference, sink);
    return result;
}

}  // namespace warden::snp
