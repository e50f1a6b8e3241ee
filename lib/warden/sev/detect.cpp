// Names of SEV_STATUS bits (SPEC-FACTS.md section 1).
#include "warden/sev/detect.hpp"

namespace warden::sev {

void describe_status(fmt::Sink& out, Status s) {
    struct Name {
        unsigned bit;
        const char* name;
    };
    static constexpr Name kNames[] = {
        {0, "SEV"},
        {1, "SEV-ES"},
        {2, "SNP"},
        {3, "vTOM"},
        {4, "ReflectVC"},
        {5, "RestrictedInjection"},
        {6, "AlternateInjection"},
        {7, "DebugSwap"},
        {8, "PreventHostIBS"},
        {9, "BTBIsolation"},
        {10, "VmplSSS"},
        {11, "SecureTSC"},
        {12, "VMGExitParameter"},
        {14, "IBSVirtualization"},
        {16, "VMSARegProt"},
        {17, "SMTProtection"},
        {18, "SecureAVIC"},
        {23, "IBPBOnEntry"},
    };
    bool first = true;
    uint64_t known = 0;
    for (const Name& n : kNames) {
        known |= bit(n.bit);
        if (!test_bit(s.raw, n.bit)) continue;
        if (!first) out.write(" ");
        out.write(n.name);
        first = false;
    }
    if (s.raw & ~known)
        fmt::format(out, "{}unknown {:#x}", first ? "" : " ", s.raw & ~known);
    else if (first)
        out.write("none");
}

}  // namespace warden::sev
