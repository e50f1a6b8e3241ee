#include <doctest/doctest.h>

#include <string>

#include "warden/sev/detect.hpp"

using namespace warden;
using namespace warden::sev;

namespace {
std::string names(uint64_t raw) {
    struct S final : fmt::Sink {
        void write(std::string_view t) override { s.append(t); }
        std::string s;
    } out;
    describe_status(out, Status{raw});
    return out.s;
}
}  // namespace

TEST_CASE("sev detect: constants match the APM") {
    CHECK(kCpuidLeaf == 0x8000001f);
    CHECK(kMsrSevStatus == 0xc0010131);
}

TEST_CASE("sev detect: CPUID 0x8000001F of an EPYC Milan with SNP") {
    // EAX: SME, SEV, SEV-ES, SNP, VMPL (bits 0,1,3,4,5); EBX: C-bit 51, reduction 1, 4 VMPLs.
    const CpuidInfo i = decode_cpuid(0x3b, 51 | (1 << 6) | (4 << 12));
    CHECK(i.sme);
    CHECK(i.sev);
    CHECK(i.sev_es);
    CHECK(i.snp);
    CHECK(i.vmpl);
    CHECK(i.c_bit == 51);
    CHECK(i.phys_reduction == 1);
    CHECK(i.vmpls == 4);
    CHECK(i.c_bit_mask() == uint64_t{1} << 51);
}

TEST_CASE("sev detect: no SEV means no C-bit") {
    const CpuidInfo none = decode_cpuid(0, 0);
    CHECK_FALSE(none.sev);
    CHECK(none.c_bit_mask() == 0);
    CHECK(decode_cpuid(0x1, 47).c_bit_mask() == 0);  // SME alone does not encrypt guest pages
}

TEST_CASE("sev detect: SEV_STATUS bits and feature mirror") {
    const Status s{0x7 | (1 << 4) | (1 << 7)};  // SEV, ES, SNP, ReflectVC, DebugSwap
    CHECK(s.sev());
    CHECK(s.sev_es());
    CHECK(s.snp());
    CHECK(s.features() == (0x1 | (1 << 2) | (1 << 5)));  // SNPActive, ReflectVC, DebugSwap
    CHECK(names(s.raw) == "SEV SEV-ES SNP ReflectVC DebugSwap");
    CHECK(names(0) == "none");
    CHECK(names(1ull << 40) == "unknown 0x10000000000");
}

TEST_CASE("sev detect: the platform follows CPUID and SEV_STATUS") {
    const CpuidInfo snp_cpu = decode_cpuid(0x3b, 51);
    CHECK(choose_platform(decode_cpuid(0, 0), Status{0}) == PlatformKind::kNative);
    CHECK(choose_platform(snp_cpu, Status{0}) == PlatformKind::kNative);  // host CPU can, this VM is not encrypted
    CHECK(choose_platform(snp_cpu, Status{0x7}) == PlatformKind::kSnp);
    CHECK(choose_platform(snp_cpu, Status{0x3}) == PlatformKind::kUnsupported);  // SEV-ES only
    CHECK(choose_platform(snp_cpu, Status{0x1}) == PlatformKind::kUnsupported);
}
