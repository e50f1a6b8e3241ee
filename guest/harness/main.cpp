// The harness guests' bring-up (docs/harness-guest.md): a bare-metal image an
// SVSM starts at the guest's VMPL, one boot page per vCPU. Each vCPU takes its
// boot page, the C-bit, its own tables, the secrets page and its GHCB, then
// runs what its image is for (run.hpp): the checks (harness-guest) or the
// PVALIDATE bench (harness-bench).
#include "boot.hpp"
#include "console.hpp"
#include "cpu.hpp"
#include "ghcb.hpp"
#include "run.hpp"
#include "warden/sev/detect.hpp"
#include "warden/sev/secrets.hpp"

extern "C" harness::VcpuArea vcpu_areas[harness::kMaxVcpus];
harness::VcpuArea vcpu_areas[harness::kMaxVcpus];

namespace harness {

namespace {

using namespace warden;

Vcpu* vcpus[kMaxVcpus];

void read_boot_page(Vcpu& v, uint64_t gpa) {
    auto b = svsm::entry::read_boot_page(std::span<const uint8_t, kPage>(reinterpret_cast<const uint8_t*>(gpa), kPage));
    if (!b || b->vcpu_index >= kMaxVcpus || b->scratch_size < kScratchSize)
        terminate(kReasonSetHarness, kReasonBootPage);
    v.boot = *b;
    v.area = &vcpu_areas[b->vcpu_index];
    v.caa = b->caa_gpa;
}

// The C-bit from CPUID 0x8000001F EBX 5:0 (SPEC-FACTS 1): the CPUID page
// when the loader gave one, else the MSR protocol.
void find_c_bit(Vcpu& v, sev::CpuidTable& table) {
    uint32_t ebx = 0;
    if (v.boot.cpuid_gpa != 0) {
        auto t = sev::CpuidTable::parse({reinterpret_cast<const uint8_t*>(v.boot.cpuid_gpa), sev::kCpuidPageSize});
        if (!t) terminate(kReasonSetHarness, kReasonBootPage);
        table = *t;
        v.cpuid = &table;
        ebx = table.lookup(sev::kCpuidLeaf, 0).ebx;
    } else {
        MsrProtocol ch(v);
        auto r = sev::cpuid_msr(ch, sev::kCpuidLeaf, sev::msr::CpuidRegister::kEbx);
        if (!r) terminate(kReasonSetHarness, kReasonNegotiation);
        ebx = *r;
    }
    const unsigned bit = ebx & 0x3f;
    if (bit == 0 || bit > 51) terminate(kReasonSetHarness, kReasonNegotiation);
    v.c_bit = uint64_t{1} << bit;
}

// What the SVSM told the guest about itself (SPEC-FACTS 7).
void read_secrets(Vcpu& v) {
    auto f = sev::read_svsm_fields({reinterpret_cast<const uint8_t*>(v.boot.secrets_gpa), sev::kSecretsPageSize});
    if (!f) terminate(kReasonSetHarness, kReasonSecrets);
    v.vmpl = f->guest_vmpl;
    v.svsm_base = f->base;
    v.sev_features = sev::Status{cpu::rdmsr(sev::kMsrSevStatus)}.features();
}

}  // namespace

Vcpu& current() {
    uint64_t here = 0;
    const uint64_t sp = reinterpret_cast<uint64_t>(&here) - gpa_of(vcpu_areas);
    return *vcpus[sp / kVcpuAreaSize];
}
void set_current(Vcpu& v) { vcpus[v.boot.vcpu_index] = &v; }

}  // namespace harness

extern "C" [[noreturn]] void harness_main(uint64_t boot_page_gpa) {
    using namespace harness;
    Vcpu v;
    warden::sev::CpuidTable table;
    read_boot_page(v, boot_page_gpa);
    set_current(v);
    find_c_bit(v, table);
    build_page_tables(v);
    load_descriptor_tables(v);
    read_secrets(v);
    bring_up_ghcb(v);
    log("harness: vcpu={} at VMPL{}: GHCB {:#x} shared and registered, Calling Area {:#x}", v.boot.vcpu_index, v.vmpl,
        gpa_of(&v.area->ghcb), v.caa);
    run(v);
}
