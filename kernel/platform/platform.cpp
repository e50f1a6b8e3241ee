// Platform detection and selection.
#include "platform/platform.hpp"

#include "arch/x86_64/cpu.hpp"
#include "platform/native.hpp"
#include "platform/snp.hpp"

namespace warden::platform {
namespace {
Platform* chosen = nullptr;
}

Detection detect() {
    Detection d;
    if (arch::cpuid(0x80000000).eax >= sev::kCpuidLeaf) {
        const auto r = arch::cpuid(sev::kCpuidLeaf);
        d.cpuid = sev::decode_cpuid(r.eax, r.ebx);
    }
    if (d.cpuid.sev) d.status = sev::Status{arch::rdmsr(sev::kMsrSevStatus)};
    d.kind = sev::choose_platform(d.cpuid, d.status);
    return d;
}

Result<void> init(const Detection& d) {
    switch (d.kind) {
    case sev::PlatformKind::kNative: chosen = &native(); return {};
    case sev::PlatformKind::kSnp: chosen = &snp(d.cpuid, d.status); return {};
    case sev::PlatformKind::kUnsupported: return Fail(Error::kUnsupported);
    }
    return Fail(Error::kUnsupported);
}

Platform& current() { return *chosen; }

bool port_io_at_entry(boot::BootKind kind) { return kind != boot::BootKind::kIgvm; }

}  // namespace warden::platform
