// The calls and their verdicts (checks.hpp). Where the native harness asks
// the kernel how many validation changes a call made, this guest probes the
// pages instead: a read of a page it does not hold validated is #VC 0x404.
// It never touches a page while the SVSM holds it as a VMSA (the RMP would
// stop the guest), and writes no page before it is validated.
#include "checks.hpp"

#include <atomic>
#include <cstring>

#include "boot.hpp"
#include "console.hpp"
#include "cpu.hpp"
#include "ghcb.hpp"
#include "svsm.hpp"
#include "warden/bytes.hpp"
#include "warden/fw_cfg.hpp"
#include "warden/sev/vmsa.hpp"
#include "warden/svsm/attest.hpp"
#include "warden/svsm/harness_cases.hpp"
#include "warden/svsm/vtpm.hpp"

extern "C" const uint8_t harness_parked[];

namespace harness {

namespace {

using namespace warden;
using namespace warden::svsm;

struct Ctx {
    Vcpu& v;
    Tally& t;
};

uint8_t* va(uint64_t gpa) { return reinterpret_cast<uint8_t*>(gpa); }
void put64(uint64_t gpa, uint64_t x) { std::memcpy(va(gpa), &x, 8); }
uint16_t get16(uint64_t gpa) {
    uint16_t x;
    std::memcpy(&x, va(gpa), 2);
    return x;
}

CallRegs call(Ctx& c, uint32_t protocol, uint32_t number, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t r8 = 0,
              bool pending = true) {
    ++c.t.calls;
    const auto r =
        svsm_call(c.v, CallRegs{.rax = call_rax(protocol, number), .rcx = rcx, .rdx = rdx, .r8 = r8}, pending);
    if (!r.ran) return CallRegs{.rax = ~uint64_t{0}};
    return r.regs;
}
CallRegs core(Ctx& c, CoreCall n, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t r8 = 0) {
    return call(c, kProtocolCore, static_cast<uint32_t>(n), rcx, rdx, r8);
}

void expect(Ctx& c, const char* what, bool cond) { ::harness::expect(c.v, c.t, what, cond); }
void expect_code(Ctx& c, const char* what, uint64_t got, uint64_t want) {
    if (got != want) log("harness: vcpu={} {}: result {:#x}, expected {:#x}", c.v.boot.vcpu_index, what, got, want);
    expect(c, what, got == want);
}

uint64_t entry(uint64_t gpa, bool huge, bool validate, bool ignore_cf = false) {
    return encode_pvalidate_entry(PvalidateEntry{PhysAddr(gpa), huge, validate, ignore_cf});
}
uint64_t pvalidate_list(Ctx& c, uint64_t gpa, std::initializer_list<uint64_t> entries, uint16_t next = 0) {
    put64(gpa, (uint64_t{next} << 16) | entries.size());
    size_t i = 0;
    for (uint64_t e : entries) put64(gpa + 8 + 8 * i++, e);
    return core(c, CoreCall::kPvalidate, gpa).rax;
}

// The image's pages for the calls: [remap CAA, list, VMSA, new vCPU's CAA].
uint64_t my_page(const Vcpu& v, unsigned k) {
    const uint8_t* pages[] = {v.area->remap_caa, v.area->list, v.area->vmsa, v.area->vcpu_caa};
    return gpa_of(pages[k]);
}
// Unvalidated RAM the loader named: four 4 KiB pages per vCPU in the first
// 2 MiB of the scratch, the second 2 MiB for vCPU 0's large-page calls.
uint64_t my_validate_page(const Vcpu& v, unsigned k) {
    return v.boot.scratch_gpa + (4 * v.boot.vcpu_index + k) * kPage;
}
uint64_t huge_page(const Vcpu& v) { return v.boot.scratch_gpa + 0x200000; }

bool none_validated(Vcpu& v) {
    for (unsigned k = 0; k < 4; ++k) {
        if (validated(v, my_validate_page(v, k))) return false;
    }
    return true;
}

// A VMSA the SVSM accepts: 64-bit at the guest's VMPL with its SEV_FEATURES,
// at a stub that only asks for VMPL0, should the SVSM ever run it.
void build_vmsa(const Vcpu& v, uint64_t gpa) {
    const auto bytes = sev::make_vmsa_long_mode(sev::LongModeState{
        .rip = gpa_of(harness_parked), .cr3 = page_tables_root(v), .sev_features = v.sev_features, .vmpl = v.vmpl});
    std::memcpy(va(gpa), bytes.data(), bytes.size());
}

// vCPU 0's 2 MiB page, first while its RMP entry is still 2 MiB: validated
// whole, then rescinded -- whole, or, where the SVSM's zeroing through 4 KiB
// windows made the host split the entry (as KVM does), as 512 pages, as
// Linux does on FAIL_SIZEMISMATCH. Then a 2 MiB validation over a 4 KiB page
// already validated is a size mismatch, as on the native harness.
void large_pages(Ctx& c, uint64_t list) {
    Vcpu& v = c.v;
    const uint64_t huge = huge_page(v);
    expect_code(c, "PVALIDATE 2M", pvalidate_list(c, list, {entry(huge, true, true)}), kSuccess);
    expect(c, "the 2M page is validated and zeroed, first and last 4K",
           validated(v, huge) && validated(v, huge + 0x1ff000) && va(huge)[0] == 0 && va(huge + 0x1ff000)[4095] == 0);
    uint64_t r = pvalidate_list(c, list, {entry(huge, true, false)});
    if (r == kErrPvalidateBase + 6) {  // 4 KiB RMP entries now: 2 lists of 256 (a list holds at most 511)
        r = kSuccess;
        for (uint64_t half = 0; half < 2 && r == kSuccess; ++half) {
            put64(list, 256);
            for (uint64_t i = 0; i < 256; ++i)
                put64(list + 8 + 8 * i, entry(huge + (half * 256 + i) * kPage, false, false));
            r = core(c, CoreCall::kPvalidate, list).rax;
        }
    }
    expect_code(c, "PVALIDATE rescind 2M (as 512 x 4K where the RMP entry was split)", r, kSuccess);
    expect(c, "the 2M page is no longer validated", !validated(v, huge) && !validated(v, huge + 0x1ff000));
    expect_code(c, "PVALIDATE 4K inside the 2M page", pvalidate_list(c, list, {entry(huge + 0x1000, false, true)}),
                kSuccess);
    expect_code(c, "PVALIDATE 2M over a validated 4K page: size mismatch",
                pvalidate_list(c, list, {entry(huge, true, true)}), kErrPvalidateBase + 6);
    expect_code(c, "PVALIDATE rescind the 4K page", pvalidate_list(c, list, {entry(huge + 0x1000, false, false)}),
                kSuccess);
    expect(c, "the 2M page is left with nothing validated", !validated(v, huge + 0x1000));
}

}  // namespace

void linux_order(Vcpu& v, Tally& t) {
    Ctx c{v, t};
    auto q = core(c, CoreCall::kQueryProtocol, (uint64_t{kProtocolCore} << 32) | 1);
    expect_code(c, "QUERY_PROTOCOL core 1", q.rax, kSuccess);
    expect(c, "QUERY_PROTOCOL core 1 -> min 1, max 1", q.rcx == ((uint64_t{1} << 32) | 1));
    expect(c, "call_pending cleared after the call", *va(v.caa) == 0);
    expect(
        c, "QUERY_PROTOCOL attestation 1: offered on SNP, version 1",
        core(c, CoreCall::kQueryProtocol, (uint64_t{kProtocolAttestation} << 32) | 1).rcx == ((uint64_t{1} << 32) | 1));
    auto vt = core(c, CoreCall::kConfigureVtom, 1);
    expect(c, "CONFIGURE_VTOM query: no vTOM", vt.rax == kSuccess && vt.rcx == 0);

    const uint64_t new_caa = my_page(v, 0);
    std::memset(va(new_caa), 0xaa, 8);
    expect_code(c, "REMAP_CA", core(c, CoreCall::kRemapCa, new_caa).rax, kSuccess);
    v.caa = new_caa;
    expect(c, "REMAP_CA cleared the new area", va(new_caa)[1] == 0 && va(new_caa)[7] == 0);
    expect_code(c, "a call through the new Calling Area", core(c, CoreCall::kQueryProtocol, 1).rax, kSuccess);

    // PVALIDATE of 4 KiB pages the guest has never held: validated, they read as zeros.
    const uint64_t list = my_page(v, 1);
    expect(c, "the scratch pages start unvalidated", none_validated(v));
    auto p = [&](unsigned k) { return my_validate_page(v, k); };
    expect_code(c, "PVALIDATE 4 x 4K",
                pvalidate_list(c, list,
                               {entry(p(0), false, true), entry(p(1), false, true), entry(p(2), false, true),
                                entry(p(3), false, true)}),
                kSuccess);
    expect(c, "PVALIDATE advanced next to the end", get16(list + 2) == 4);
    expect(c, "the 4 pages are validated",
           validated(v, p(0)) && validated(v, p(1)) && validated(v, p(2)) && validated(v, p(3)));
    expect(c, "validated pages are zeroed", va(p(0))[0] == 0 && va(p(3))[4095] == 0);
    expect_code(c, "PVALIDATE again: no change", pvalidate_list(c, list, {entry(p(0), false, true)}),
                kErrPvalidateNoChange);
    expect(c, "a failed entry leaves next on it", get16(list + 2) == 0);
    expect_code(c, "PVALIDATE again, ignoring CF", pvalidate_list(c, list, {entry(p(0), false, true, true)}), kSuccess);
    expect_code(c, "PVALIDATE rescind 4 x 4K",
                pvalidate_list(c, list,
                               {entry(p(0), false, false), entry(p(1), false, false), entry(p(2), false, false),
                                entry(p(3), false, false)}),
                kSuccess);
    expect(c, "the 4 pages are no longer validated", none_validated(v));

    if (v.boot.vcpu_index == 0) large_pages(c, list);

    const uint64_t vmsa = my_page(v, 2), vcpu_caa = my_page(v, 3);
    build_vmsa(v, vmsa);
    expect_code(c, "CREATE_VCPU", core(c, CoreCall::kCreateVcpu, vmsa, vcpu_caa, v.boot.apic_id).rax, kSuccess);
    expect_code(c, "DELETE_VCPU", core(c, CoreCall::kDeleteVcpu, vmsa).rax, kSuccess);
    expect(c, "the VMSA page is the guest's again", validated(v, vmsa));
    expect_code(c, "DELETE_VCPU twice", core(c, CoreCall::kDeleteVcpu, vmsa).rax, kErrInvalidParameter);
}

void print_hex(const Vcpu& v, const char* what, const uint8_t* bytes, size_t n) {
    for (size_t at = 0; at < n; at += 32) {
        char text[64];
        log("harness: vcpu={} {} +{:#05x} {}", v.boot.vcpu_index, what, at,
            to_hex(std::span<const uint8_t>(bytes + at, n - at < 32 ? n - at : 32), text));
    }
}

// SVSM attestation (protocol 1) served by Warden's attestation service: a
// report from the PSP whose REPORT_DATA binds this call's nonce and the
// services manifest. The guest cannot check the PSP's signature or the
// hash (it has neither key nor SHA-512); vCPU 0 prints nonce, manifest and
// report, and tests/snp/snp_run.py verifies them outside Warden.
void attestation(Vcpu& v, Tally& t) {
    Ctx c{v, t};
    const uint64_t op = my_page(v, 1), report = my_page(v, 2), manifest = my_page(v, 3);
    const uint64_t nonce = op + 0x800;
    // The services manifest: the header, the vTPM's entry, its EK (TPMT_PUBLIC of template L-1).
    constexpr uint32_t kEk = 314, kManifest = 2 * 24 + kEk;
    const Guid vtpm = guid("c476f1eb-0123-45a5-9641-b4e7dde5bfe3");
    std::memset(va(op), 0, kPage);
    std::memset(va(report), 0, kPage);
    std::memset(va(manifest), 0xee, kPage);
    const uint64_t fresh = cpu::rdtsc();
    for (uint64_t i = 0; i < 64; ++i)
        va(nonce)[i] = static_cast<uint8_t>((fresh >> (8 * (i % 8))) + 31 * i + v.boot.vcpu_index);
    put64(op + 0x00, report);
    put64(op + 0x08, 0x100);  // too small for the report
    put64(op + 0x10, nonce);
    put64(op + 0x18, 64);
    put64(op + 0x20, manifest);
    put64(op + 0x28, kPage);
    CallRegs r = call(c, kProtocolAttestation, kAttestServices, op);
    expect_code(c, "ATTEST_SERVICES with a 256-byte report buffer", r.rax, kErrInvalidParameter);
    expect(c, "ATTEST_SERVICES too small: R8 says the report needs 0x4a0, RCX the manifest 362",
           r.r8 == 0x4a0 && r.rcx == kManifest && r.rdx == 0);
    expect(c, "ATTEST_SERVICES too small: nothing written", va(report)[0] == 0 && va(manifest)[0] == 0xee);
    put64(op + 0x08, kPage);
    put64(op + 0x18, 32);
    expect_code(c, "ATTEST_SERVICES with a 32-byte nonce", call(c, kProtocolAttestation, kAttestServices, op).rax,
                kErrInvalidParameter);
    put64(op + 0x18, 64);
    const uint64_t t0 = cpu::rdtsc();
    r = call(c, kProtocolAttestation, kAttestServices, op);
    const uint64_t cycles = cpu::rdtsc() - t0;
    expect_code(c, "ATTEST_SERVICES", r.rax, kSuccess);
    expect(c, "ATTEST_SERVICES: R8 0x4a0 (report), RCX 362 (manifest), RDX 0 (no certificates)",
           r.r8 == 0x4a0 && r.rcx == kManifest && r.rdx == 0);
    const Guid header = kServicesManifestGuid;
    expect(c, "the manifest: a GUID table of 362 bytes, one entry, the vTPM's, 314 bytes at 48, nothing past it",
           std::memcmp(va(manifest), header.data(), 16) == 0 && get16(manifest + 16) == kManifest &&
               get16(manifest + 20) == 1 && std::memcmp(va(manifest + 24), vtpm.data(), 16) == 0 &&
               get16(manifest + 40) == 48 && get16(manifest + 44) == kEk && va(manifest)[kManifest] == 0xee);
    uint64_t vmpl = 0, data = 0;
    std::memcpy(&vmpl, va(report) + 0x30, 4);
    for (size_t i = 0; i < 64; ++i) data |= va(report)[0x50 + i];
    expect(c, "the report says VMPL 0 (the SVSM asked) and carries REPORT_DATA", vmpl == 0 && data != 0);
    if (v.boot.vcpu_index == 0) {
        log("harness: vcpu=0 ATTEST_SERVICES answered in {} TSC cycles", cycles);
        print_hex(v, "attest nonce", va(nonce), 64);
        print_hex(v, "attest manifest", va(manifest), kManifest);
        print_hex(v, "attest report", va(report), 0x4a0);
    }
    // One service's manifest: the vTPM's is its EK.
    std::memcpy(va(op + 0x40), vtpm.data(), 16);
    std::memset(va(manifest), 0xee, kPage);
    r = call(c, kProtocolAttestation, kAttestSingleService, op);
    expect_code(c, "ATTEST_SINGLE_SERVICE for the vTPM", r.rax, kSuccess);
    expect(c, "ATTEST_SINGLE_SERVICE: RCX 314, the EK's public area (RSA, attributes 0x000300b2)",
           r.rcx == kEk && r.r8 == 0x4a0 && get16(manifest) == 0x0100 && va(manifest)[kEk] == 0xee);
    if (v.boot.vcpu_index == 0) {
        print_hex(v, "attest single manifest", va(manifest), kEk);
        print_hex(v, "attest single report", va(report), 0x4a0);
    }
    va(op + 0x40)[0] ^= 1;  // a GUID no service of this SVSM has
    expect_code(c, "ATTEST_SINGLE_SERVICE for an unknown service",
                call(c, kProtocolAttestation, kAttestSingleService, op).rax, kErrInvalidParameter);
    // A report buffer in SVSM memory: refused before the PSP is asked.
    put64(op + 0x00, v.svsm_base);
    expect_code(c, "ATTEST_SERVICES with its report buffer in SVSM memory",
                call(c, kProtocolAttestation, kAttestServices, op).rax, kErrInvalidAddress);
}

// The vTPM (protocol 2, docs/vtpm.md): libtpms behind Warden's request loop.
// TPM2_GetRandom(16) through the one-page buffer (Linux's tpm_svsm.c
// layout), and the refusals.
void vtpm(Vcpu& v, Tally& t) {
    Ctx c{v, t};
    const uint64_t buf = my_page(v, 1);
    expect(c, "QUERY_PROTOCOL vTPM 1: offered, version 1",
           core(c, CoreCall::kQueryProtocol, (uint64_t{kProtocolVtpm} << 32) | 1).rcx == ((uint64_t{1} << 32) | 1));
    const CallRegs q = call(c, kProtocolVtpm, kVtpmQuery);
    expect(c, "VTPM_QUERY: TPM_SEND_COMMAND (0x100), no features", q.rax == kSuccess && q.rcx == 0x100 && q.rdx == 0);
    const uint8_t get_random[] = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 16};
    const auto request = [&](uint8_t locality) {
        std::memset(va(buf), 0, kPage);
        put64(buf, kTpmSendCommand | (uint64_t{locality} << 32) | (uint64_t{sizeof get_random} << 40));
        std::memcpy(va(buf + 9), get_random, sizeof get_random);
    };
    // The vTPM waits for its TPM2_Startup (docs/vtpm.md): vCPU 0 sends it, the others wait for it.
    static std::atomic<bool> started{false};
    if (v.boot.vcpu_index == 0) {
        const uint8_t startup[] = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0};
        std::memset(va(buf), 0, kPage);
        put64(buf, kTpmSendCommand | (uint64_t{sizeof startup} << 40));
        std::memcpy(va(buf + 9), startup, sizeof startup);
        const uint64_t rax = call(c, kProtocolVtpm, kVtpmCmd, buf).rax;
        const uint32_t rc =
            uint32_t{va(buf)[10]} << 24 | uint32_t{va(buf)[11]} << 16 | uint32_t{va(buf)[12]} << 8 | va(buf)[13];
        expect(c, "VTPM_CMD TPM2_Startup(CLEAR): TPM_RC_SUCCESS", rax == kSuccess && rc == 0);
        started.store(true);
    } else {
        while (!started.load()) give_vmpl0_its_turn(v);
    }
    request(0);
    const uint64_t t0 = cpu::rdtsc();
    expect_code(c, "VTPM_CMD TPM2_GetRandom(16)", call(c, kProtocolVtpm, kVtpmCmd, buf).rax, kSuccess);
    const uint64_t cycles = cpu::rdtsc() - t0;
    uint32_t size = 0, rc = 1;
    std::memcpy(&size, va(buf), 4);
    rc = uint32_t{va(buf)[10]} << 24 | uint32_t{va(buf)[11]} << 16 | uint32_t{va(buf)[12]} << 8 | va(buf)[13];
    expect(c, "VTPM_CMD: a 28-byte response, TPM_RC_SUCCESS, 16 random bytes",
           size == 28 && va(buf)[4] == 0x80 && va(buf)[5] == 0x01 && rc == 0 && get16(buf + 14) == 0x1000);
    if (v.boot.vcpu_index == 0) log("harness: vcpu=0 VTPM_CMD TPM2_GetRandom answered in {} TSC cycles", cycles);
    request(1);
    expect_code(c, "VTPM_CMD at locality 1", call(c, kProtocolVtpm, kVtpmCmd, buf).rax, kErrInvalidParameter);
    expect_code(c, "VTPM_CMD at GPA 0", call(c, kProtocolVtpm, kVtpmCmd, 0).rax, kErrInvalidParameter);
    expect_code(c, "VTPM_CMD in SVSM memory", call(c, kProtocolVtpm, kVtpmCmd, v.svsm_base).rax, kErrInvalidAddress);
}

void malformed(Vcpu& v, Tally& t) {
    Ctx c{v, t};
    const uint64_t list = my_page(v, 1), vmsa = my_page(v, 2), vcpu_caa = my_page(v, 3);
    const uint64_t svsm = v.svsm_base, outside = v.boot.ram_end;
    const uint32_t apic = v.boot.apic_id;
    // The register-only cases both harnesses make (lib/warden/svsm/harness_cases.hpp).
    namespace cases = warden::svsm::harness;
    const cases::Addresses at{.list = list, .svsm = svsm, .outside = outside};
    for (const auto& rc : cases::register_cases()) {
        const CallRegs r = cases::registers(rc, at);
        expect_code(c, rc.what, call(c, rc.protocol, rc.call, r.rcx).rax, rc.expected);
    }
    // Attestation (protocol 1): a malformed operation and one in SVSM memory
    // (the rest in attestation(), below).
    std::memset(va(list), 0, kPage);
    expect_code(c, "ATTEST_SERVICES with a zero operation", call(c, kProtocolAttestation, 0, list).rax,
                kErrInvalidParameter);
    expect_code(c, "ATTEST_SERVICES operation in SVSM memory", call(c, kProtocolAttestation, 0, svsm).rax,
                kErrInvalidAddress);
    expect_code(c, "unknown attestation call", call(c, kProtocolAttestation, 2, list).rax, kErrUnsupportedCall);
    const uint64_t p = my_validate_page(v, 0);
    expect_code(c, "PVALIDATE no entries", pvalidate_list(c, list, {}), kErrInvalidParameter);
    expect_code(c, "PVALIDATE next past the end", pvalidate_list(c, list, {entry(p, false, true)}, 1),
                kErrInvalidParameter);
    put64(list + kPage - 16, 2);  // 2 entries, only room for 1
    expect_code(c, "PVALIDATE entries past the page", core(c, CoreCall::kPvalidate, list + kPage - 16).rax,
                kErrInvalidParameter);
    expect_code(c, "PVALIDATE page size 2", pvalidate_list(c, list, {entry(p, false, true) | 2}), kErrInvalidParameter);
    expect_code(c, "PVALIDATE reserved bits", pvalidate_list(c, list, {entry(p, false, true) | 0x100}),
                kErrInvalidParameter);
    expect_code(c, "PVALIDATE 2M entry not 2M aligned",
                pvalidate_list(c, list, {entry(my_validate_page(v, 1), true, true)}), kErrInvalidParameter);
    expect_code(c, "PVALIDATE of SVSM memory", pvalidate_list(c, list, {entry(svsm, false, true)}), kErrInvalidAddress);
    expect_code(c, "PVALIDATE outside guest memory", pvalidate_list(c, list, {entry(outside, false, true)}),
                kErrInvalidAddress);
    expect_code(c, "PVALIDATE list in a page the guest has not validated", core(c, CoreCall::kPvalidate, p).rax,
                kErrInvalidAddress);
    build_vmsa(v, vmsa);
    expect_code(c, "CREATE_VCPU VMSA in SVSM memory", core(c, CoreCall::kCreateVcpu, svsm, vcpu_caa, apic).rax,
                kErrInvalidAddress);
    expect_code(c, "CREATE_VCPU CAA in SVSM memory", core(c, CoreCall::kCreateVcpu, vmsa, svsm, apic).rax,
                kErrInvalidAddress);
    expect_code(c, "CREATE_VCPU VMSA = CAA", core(c, CoreCall::kCreateVcpu, vmsa, vmsa, apic).rax, kErrInvalidAddress);
    expect_code(c, "CREATE_VCPU misaligned", core(c, CoreCall::kCreateVcpu, vmsa + 8, vcpu_caa, apic).rax,
                kErrInvalidParameter);
    expect_code(c, "CREATE_VCPU unknown APIC ID", core(c, CoreCall::kCreateVcpu, vmsa, vcpu_caa, 0xfffe).rax,
                kErrInvalidParameter);
    expect_code(c, "CREATE_VCPU VMSA on a page the guest has not validated",
                core(c, CoreCall::kCreateVcpu, p, vcpu_caa, apic).rax, kErrInvalidAddress);
    va(vmsa)[0x0ca] = 0;  // a VMSA for VMPL0
    expect_code(c, "CREATE_VCPU VMPL0 VMSA", core(c, CoreCall::kCreateVcpu, vmsa, vcpu_caa, apic).rax,
                kErrInvalidParameter);
    va(vmsa)[0x0ca] = v.vmpl;  // the page is ours again after the refusal
    uint64_t efer;
    std::memcpy(&efer, va(vmsa + 0x0d0), 8);
    put64(vmsa + 0x0d0, efer & ~sev::kEferSvme);
    expect_code(c, "CREATE_VCPU without EFER.SVME", core(c, CoreCall::kCreateVcpu, vmsa, vcpu_caa, apic).rax,
                kErrInvalidParameter);
    put64(vmsa + 0x0d0, efer);
    put64(vmsa + 0x3b0, v.sev_features ^ 4);
    expect_code(c, "CREATE_VCPU other SEV_FEATURES", core(c, CoreCall::kCreateVcpu, vmsa, vcpu_caa, apic).rax,
                kErrInvalidParameter);
    put64(vmsa + 0x3b0, v.sev_features);
    expect_code(c, "DELETE_VCPU of a page never created", core(c, CoreCall::kDeleteVcpu, vmsa).rax,
                kErrInvalidParameter);
    const auto idle = call(c, kProtocolCore, static_cast<uint32_t>(CoreCall::kPvalidate), list, 0, 0, false);
    expect(c, "a call without call_pending is not served", idle.rax == call_rax(kProtocolCore, 1));
    expect(c, "the malformed calls validated none of the scratch pages", none_validated(v));
    expect(c, "the malformed calls left the VMSA page the guest's", validated(v, vmsa));
    expect_code(c, "the Calling Area still works", core(c, CoreCall::kQueryProtocol, 1).rax, kSuccess);
}

namespace {
uint8_t vmsa_copy[kMaxVcpus][4096];
}

// Issue 15 on SNP: once CREATE_VCPU has taken a VMSA page, no call may have
// the SVSM read, write or validate it; this guest must not touch it either
// (the RMP refuses its VMPL: the host would stop the run).
void taken_vmsa(Vcpu& v, Tally& t) {
    Ctx c{v, t};
    const uint64_t list = my_page(v, 1), vmsa = my_page(v, 2), spare = my_page(v, 3), other = my_validate_page(v, 0);
    const uint32_t apic = v.boot.apic_id;
    build_vmsa(v, vmsa);
    put64(vmsa + 0x400, 1);  // a PVALIDATE list inside the VMSA: one entry, validate `other`
    put64(vmsa + 0x408, entry(other, false, true));
    uint8_t* copy = vmsa_copy[v.boot.vcpu_index];
    std::memcpy(copy, va(vmsa), 4096);
    expect_code(c, "CREATE_VCPU for the taken-page checks", core(c, CoreCall::kCreateVcpu, vmsa, spare, apic).rax,
                kSuccess);
    expect_code(c, "REMAP_CA into a live VMSA", core(c, CoreCall::kRemapCa, vmsa + 0xc8).rax, kErrInvalidAddress);
    expect_code(c, "PVALIDATE rescind a live VMSA", pvalidate_list(c, list, {entry(vmsa, false, false)}),
                kErrInvalidAddress);
    expect(c, "a refused first entry leaves next at 0", get16(list + 2) == 0);
    expect_code(c, "PVALIDATE validate a live VMSA", pvalidate_list(c, list, {entry(vmsa, false, true)}),
                kErrInvalidAddress);
    expect_code(c, "PVALIDATE stops at the live VMSA",
                pvalidate_list(c, list, {entry(other, false, true), entry(vmsa, false, false)}), kErrInvalidAddress);
    expect(c, "next on the live VMSA's entry", get16(list + 2) == 1);
    expect(c, "the entry before it was done", validated(v, other));
    expect_code(c, "PVALIDATE rescind the page before it", pvalidate_list(c, list, {entry(other, false, false)}),
                kSuccess);
    expect_code(c, "PVALIDATE list inside a live VMSA", core(c, CoreCall::kPvalidate, vmsa + 0x400).rax,
                kErrInvalidAddress);
    expect(c, "the list inside the VMSA was not followed", !validated(v, other));
    if (v.boot.vcpu_index == 0) {  // the image's first 2 MiB holds every vCPU's VMSA page
        expect_code(c, "PVALIDATE 2M holding a live VMSA", pvalidate_list(c, list, {entry(0, true, true)}),
                    kErrInvalidAddress);
    }
    expect_code(c, "CREATE_VCPU on a live VMSA", core(c, CoreCall::kCreateVcpu, vmsa, my_page(v, 0), apic).rax,
                kErrInvalidAddress);
    expect_code(c, "CREATE_VCPU with its CAA on a live VMSA",
                core(c, CoreCall::kCreateVcpu, my_page(v, 0), vmsa, apic).rax, kErrInvalidAddress);
    expect_code(c, "CREATE_VCPU on the caller's own Calling Area",
                core(c, CoreCall::kCreateVcpu, v.caa & ~(kPage - 1), my_page(v, 1), apic).rax, kErrInvalidAddress);
    expect(c, "the refused calls validated none of the scratch pages", none_validated(v));
    expect_code(c, "DELETE_VCPU after the taken-page checks", core(c, CoreCall::kDeleteVcpu, vmsa).rax, kSuccess);
    expect(c, "no byte of the VMSA changed while it was live", std::memcmp(copy, va(vmsa), 4096) == 0);
    const uint64_t own = v.caa;
    expect_code(c, "REMAP_CA into the deleted VMSA's page", core(c, CoreCall::kRemapCa, vmsa).rax, kSuccess);
    v.caa = vmsa;
    expect_code(c, "a call through it", core(c, CoreCall::kQueryProtocol, 1).rax, kSuccess);
    expect_code(c, "REMAP_CA back", core(c, CoreCall::kRemapCa, own).rax, kSuccess);
    v.caa = own;
}

namespace {

// fw_cfg through its ports (QEMU docs/specs/fw_cfg.rst): select, then bytes
// in order; each access a #VC the host serves.
void fw_cfg_read(uint16_t selector, uint8_t* out, size_t n) {
    cpu::outw(fw_cfg::kSelectorPort, selector);
    for (size_t i = 0; i < n; ++i) out[i] = cpu::inb(fw_cfg::kDataPort);
}

uint8_t fw_cfg_bytes[4 + fw_cfg::kMaxFiles * fw_cfg::kFileEntrySize];
fw_cfg::Directory fw_cfg_directory;

}  // namespace

void platform_view(Vcpu& v, Tally& t) {
    if (v.boot.vcpu_index != 0) return;
    Ctx c{v, t};
    fw_cfg_read(fw_cfg::kFileDir, fw_cfg_bytes, 4);
    const auto count = fw_cfg::parse_count(std::span<const uint8_t>(fw_cfg_bytes, 4));
    const bool counted = count && *count <= fw_cfg::kMaxFiles;
    expect(c, "fw_cfg: the file directory's count", counted);
    if (!counted) return;
    const size_t dir_bytes = 4 + *count * fw_cfg::kFileEntrySize;
    fw_cfg_read(fw_cfg::kFileDir, fw_cfg_bytes, dir_bytes);
    const bool parsed =
        fw_cfg::parse_directory(std::span<const uint8_t>(fw_cfg_bytes, dir_bytes), fw_cfg_directory).ok();
    expect(c, "fw_cfg: the file directory parses", parsed);
    const fw_cfg::File* e820 = parsed ? fw_cfg_directory.find("etc/e820") : nullptr;
    expect(c, "fw_cfg: etc/e820 is listed, whole 20-byte entries", e820 && e820->size != 0 && e820->size % 20 == 0);
    if (!e820 || e820->size == 0 || e820->size % 20 != 0 || e820->size > sizeof fw_cfg_bytes) return;
    fw_cfg_read(e820->selector, fw_cfg_bytes, e820->size);
    uint64_t ram_start = ~uint64_t{0}, ram_end = 0;
    unsigned entries = 0;
    for (size_t at = 0; at < e820->size; at += 20, ++entries) {
        uint64_t base, len;
        uint32_t type;
        std::memcpy(&base, fw_cfg_bytes + at, 8);
        std::memcpy(&len, fw_cfg_bytes + at + 8, 8);
        std::memcpy(&type, fw_cfg_bytes + at + 16, 4);
        if (type != 1) continue;  // E820_RAM
        if (base < ram_start) ram_start = base;
        if (base + len > ram_end) ram_end = base + len;
    }
    log("harness: fw_cfg etc/e820: RAM {:#x}..{:#x} ({} entries)", ram_start, ram_end, entries);
    // What the loader gave this guest is RAM by the VM's own map.
    expect(c, "fw_cfg etc/e820: RAM from 0 to past the loader's RAM and scratch",
           ram_start == 0 && ram_end >= v.boot.ram_end && ram_end >= v.boot.scratch_gpa + v.boot.scratch_size);
}

void expect(const Vcpu& v, Tally& t, const char* what, bool cond) {
    if (cond) {
        ++t.passed;
        return;
    }
    ++t.failed;
    log("harness: vcpu={} FAILED: {}", v.boot.vcpu_index, what);
}

}  // namespace harness
