// libFuzzer target: the PSP's CPUID page check (lib/warden/snp/cpuid_check)
// on pages and CPUs made from the input, against what it promises: a page
// refused outright is untouched; an accepted page stays byte for byte; a
// rejected page is corrected, every rejection changes its value, and the
// corrected page passes a second check unchanged; nothing past the entries
// is written, and nothing outside the 4 KiB page is read (it is a heap block
// of exactly 4096 bytes, so ASan sees any read past it). The test edits
// (cpuid_edit) parse and apply on the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "warden/snp/cpuid_check.hpp"
#include "warden/snp/cpuid_edit.hpp"

namespace {
using warden::sev::CpuidResult;
using warden::sev::kCpuidPageSize;
using namespace warden::snp;

void check(bool ok) {
    if (!ok) __builtin_trap();
}

uint32_t mix(uint32_t a, uint32_t b) {
    uint32_t h = a * 0x9e3779b1u ^ (b + 0x7f4a7c15u);
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    return h ^ h >> 12;
}

// A CPU made from a seed: range maxima, XSAVE components and every answer.
struct SeededCpu {
    uint32_t seed;
    CpuidResult operator()(uint32_t leaf, uint32_t subleaf) const {
        if (leaf == 0) return {0x10 + (seed & 0xf), 0x68747541, 0x444d4163, 0x69746e65};
        if (leaf == 0x80000000) return {0x80000000 + (seed >> 4) % 0x30, 0, 0, 0};
        if (leaf == 0xd && subleaf == 0) return {(mix(seed, 0xd0) & 0x2e7) | 3, 0, 0x988, mix(seed, 0xd1) & 1};
        if (leaf == 0xd && subleaf == 1) return {0xf, 0, mix(seed, 0xd2) & 0x1800, 0};
        if (leaf == 0xd && subleaf < 64) {
            const uint32_t h = mix(seed, subleaf);
            return {(h & 0xff) * 8, 0x240 + (h >> 8 & 0xff) * 8, h >> 16 & 3, 0};
        }
        const uint32_t h = mix(seed ^ leaf, subleaf);
        return {h, mix(h, 1), mix(h, 2), mix(h, 3)};
    }
};

struct Count final : CpuidRejectionSink {
    size_t n = 0;
    bool changed_all = true;
    void rejected(const CpuidRejection& r) override {
        ++n;
        if (r.proposed == r.allowed) changed_all = false;
    }
};

void check_page(uint8_t* page, SeededCpu cpu) {
    auto span = std::span<uint8_t, kCpuidPageSize>(page, kCpuidPageSize);
    auto before = std::make_unique<uint8_t[]>(kCpuidPageSize);
    std::memcpy(before.get(), page, kCpuidPageSize);
    Count sink;
    auto r = check_cpuid_page(span, cpu, sink);
    const bool same = std::memcmp(before.get(), page, kCpuidPageSize) == 0;
    if (!r) {
        check(same && sink.n == 0);
        return;
    }
    check(r->entries <= kCpuidMaxEntries);
    check(r->rejected == sink.n);
    const size_t end = kCpuidHeaderSize + r->entries * kCpuidEntrySize;
    check(std::memcmp(before.get(), page, end > 4 ? 4 : end) == 0);  // the count is never rewritten
    check(std::memcmp(before.get() + end, page + end, kCpuidPageSize - end) == 0);
    if (r->accepted()) {
        check(same);
        return;
    }
    check(!same && sink.changed_all);
    std::memcpy(before.get(), page, kCpuidPageSize);
    Count again_sink;
    auto again = check_cpuid_page(span, cpu, again_sink);
    check(again.ok() && again->accepted() && again_sink.n == 0);
    check(std::memcmp(before.get(), page, kCpuidPageSize) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 5) return 0;
    const SeededCpu cpu{static_cast<uint32_t>(data[1] | data[2] << 8 | data[3] << 16 | uint32_t{data[4]} << 24)};
    const uint8_t mode = data[0];
    data += 5, size -= 5;
    auto page = std::make_unique<uint8_t[]>(kCpuidPageSize);  // exactly one page: ASan guards its end
    std::memset(page.get(), 0, kCpuidPageSize);
    auto span = std::span<uint8_t, kCpuidPageSize>(page.get(), kCpuidPageSize);
    if ((mode & 3) == 0) {
        // The input is the page.
        std::memcpy(page.get(), data, size < kCpuidPageSize ? size : kCpuidPageSize);
    } else if ((mode & 3) == 1) {
        // The hypervisor's page for this CPU, with the input XORed over its entries.
        if (!warden::sev::build_cpuid_page(warden::sev::default_guest_leaves(), cpu, span)) __builtin_trap();
        Count sink;
        auto built = check_cpuid_page(span, cpu, sink);
        check(built.ok() && built->accepted());  // what the builder makes from a CPU, that CPU accepts
        for (size_t i = 0; i < size && kCpuidHeaderSize + i < kCpuidPageSize; ++i)
            page[kCpuidHeaderSize + i] ^= data[i];
    } else {
        // The input is a test's edit text, applied to the hypervisor's page.
        if (!warden::sev::build_cpuid_page(warden::sev::default_guest_leaves(), cpu, span)) __builtin_trap();
        CpuidEditSyntax why;
        auto edits = parse_cpuid_edits(std::string_view(reinterpret_cast<const char*>(data), size), &why);
        if (!edits) {
            check(why.at <= size && why.what != nullptr && *why.what != '\0');
            return 0;
        }
        check(edits->count >= 1 && edits->count <= CpuidEdits::kMax);
        if (!apply_cpuid_edits(*edits, span)) return 0;
        check(static_cast<size_t>(page[0] | page[1] << 8) <= kCpuidMaxEntries && page[2] == 0 && page[3] == 0);
    }
    check_page(page.get(), cpu);
    return 0;
}
