// The harness guest (DESIGN 9): one per vCPU, pinned beside that vCPU's
// request loop. It plays a Linux guest talking to its SVSM: Calling Area in
// guest memory, call_pending set, registers in the SVSM calling convention;
// the "switch to VMPL0" is a call to the request loop's queue. It issues
// the calls in the order Linux uses them, then a table of malformed ones,
// checks every answer, and prints
//   harness: vcpu=<n> svsm_calls=<n> checks=<n> passed=<n> failed=<n>
// svsm_calls counts the SVSM calls made; checks counts the answers and guest-memory
// states judged (a call can be judged on several), passed + failed = checks.
#include <cstring>

#include "service.hpp"
#include "warden/svsm/core.hpp"
#include "warden/svsm/harness_cases.hpp"

WARDEN_SERVICE_MANIFEST(.name = "harness@", .serves = "", .uses = {"svsm@"}, .ports = {}, .cpu = warden::abi::kAnyCpu,
                        .flags = warden::abi::kManifestPerCpu | warden::abi::kManifestGuest);

namespace {

using namespace warden;
using namespace warden::svsm;
using warden::abi::Sys;

constexpr uint64_t kSvsm = 1;  // handle of svsm<cpu>
abi::GuestInfo info;
uint64_t caa = 0;                            // current Calling Area (GPA)
unsigned calls = 0, passed = 0, failed = 0;  // SVSM calls made; checks passed and failed

uint8_t* va(uint64_t gpa) { return reinterpret_cast<uint8_t*>(abi::kGuestMapBase + gpa); }
void put64(uint64_t gpa, uint64_t v) { std::memcpy(va(gpa), &v, 8); }
uint16_t get16(uint64_t gpa) {
    uint16_t v;
    std::memcpy(&v, va(gpa), 2);
    return v;
}

CallRegs svsm_call(uint32_t protocol, uint32_t call, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t r8 = 0,
                   bool pending = true) {
    *reinterpret_cast<volatile uint8_t*>(va(caa)) = pending ? 1 : 0;
    svc::Message in{.label = call_rax(protocol, call), .words = {rcx, rdx, r8, 0}};
    svc::Message out;
    ++calls;
    if (svc::call(kSvsm, in, out) < 0) return CallRegs{.rax = ~uint64_t{0}};
    return CallRegs{.rax = out.label, .rcx = out.words[0], .rdx = out.words[1], .r8 = out.words[2], .r9 = out.words[3]};
}
CallRegs core(CoreCall c, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t r8 = 0) {
    return svsm_call(kProtocolCore, static_cast<uint32_t>(c), rcx, rdx, r8);
}

void expect(const char* what, bool cond) {
    if (cond) {
        ++passed;
        return;
    }
    ++failed;
    svc::log("harness: vcpu={} FAILED: {}", info.cpu_index, what);
}
void expect_code(const char* what, uint64_t got, uint64_t want) {
    if (got != want) svc::log("harness: vcpu={} {}: result {:#x}, expected {:#x}", info.cpu_index, what, got, want);
    expect(what, got == want);
}

uint64_t mutations() {
    abi::GuestInfo now;
    if (svc::syscall(Sys::kGuestInfo, reinterpret_cast<uint64_t>(&now)) < 0) return ~uint64_t{0};
    return now.mutations;
}

uint64_t entry(uint64_t gpa, bool huge, bool validate, bool ignore_cf = false) {
    return encode_pvalidate_entry(PvalidateEntry{PhysAddr(gpa), huge, validate, ignore_cf});
}
// A request list at gpa; returns the call's result code.
uint64_t pvalidate_list(uint64_t gpa, std::initializer_list<uint64_t> entries, uint16_t next = 0) {
    put64(gpa, (uint64_t{next} << 16) | entries.size());  // entries, next, reserved
    size_t i = 0;
    for (uint64_t e : entries) put64(gpa + 8 + 8 * i++, e);
    return core(CoreCall::kPvalidate, gpa).rax;
}

// Pages from harness_base (the high half of guest RAM; the initial Calling
// Areas are its pages 0..63; the low half is the firmware's):
// [remap CAA, list, VMSA, new vCPU's CAA] at 64 + 4 * cpu; four 4 KiB pages
// to validate at 256 + 4 * cpu; vCPU 0 alone uses the second 2 MiB.
uint64_t page(uint64_t n) { return info.harness_base + n * 4096; }
uint64_t my_page(unsigned k) { return page(64 + 4 * info.cpu_index + k); }
uint64_t my_validate_page(unsigned k) { return page(256 + 4 * info.cpu_index + k); }

void linux_order() {
    auto q = core(CoreCall::kQueryProtocol, (uint64_t{kProtocolCore} << 32) | 1);
    expect_code("QUERY_PROTOCOL core 1", q.rax, kSuccess);
    expect("QUERY_PROTOCOL core 1 -> min 1, max 1", q.rcx == ((uint64_t{1} << 32) | 1));
    expect("call_pending cleared after the call", *va(caa) == 0);
    expect("QUERY_PROTOCOL attestation: not offered on native",
           core(CoreCall::kQueryProtocol, (uint64_t{kProtocolAttestation} << 32) | 1).rcx == 0);
    auto vt = core(CoreCall::kConfigureVtom, 1);
    expect("CONFIGURE_VTOM query: no vTOM", vt.rax == kSuccess && vt.rcx == 0);

    // REMAP_CA: the new area is cleared, and used from the next call on.
    const uint64_t new_caa = my_page(0);
    std::memset(va(new_caa), 0xaa, 8);
    expect_code("REMAP_CA", core(CoreCall::kRemapCa, new_caa).rax, kSuccess);
    caa = new_caa;
    expect("REMAP_CA cleared the new area", va(new_caa)[1] == 0 && va(new_caa)[7] == 0);
    expect_code("a call through the new Calling Area", core(CoreCall::kQueryProtocol, 1).rax, kSuccess);

    // PVALIDATE of 4 KiB pages: the pages come back zeroed.
    const uint64_t list = my_page(1);
    for (unsigned k = 0; k < 4; ++k) std::memset(va(my_validate_page(k)), 0x5a, 4096);
    expect_code(
        "PVALIDATE 4 x 4K",
        pvalidate_list(list, {entry(my_validate_page(0), false, true), entry(my_validate_page(1), false, true),
                              entry(my_validate_page(2), false, true), entry(my_validate_page(3), false, true)}),
        kSuccess);
    expect("PVALIDATE advanced next to the end", get16(list + 2) == 4);
    expect("validated pages are zeroed", va(my_validate_page(0))[0] == 0 && va(my_validate_page(3))[4095] == 0);
    expect_code("PVALIDATE again: no change", pvalidate_list(list, {entry(my_validate_page(0), false, true)}),
                kErrPvalidateNoChange);
    expect("a failed entry leaves next on it", get16(list + 2) == 0);
    expect_code("PVALIDATE again, ignoring CF", pvalidate_list(list, {entry(my_validate_page(0), false, true, true)}),
                kSuccess);
    expect_code(
        "PVALIDATE rescind 4 x 4K",
        pvalidate_list(list, {entry(my_validate_page(0), false, false), entry(my_validate_page(1), false, false),
                              entry(my_validate_page(2), false, false), entry(my_validate_page(3), false, false)}),
        kSuccess);

    if (info.cpu_index == 0) {  // the one free 2 MiB page
        const uint64_t huge = info.harness_base + 0x200000;
        expect_code("PVALIDATE 4K inside the 2M page", pvalidate_list(list, {entry(huge + 0x1000, false, true)}),
                    kSuccess);
        expect_code("PVALIDATE 2M over a validated 4K page: size mismatch",
                    pvalidate_list(list, {entry(huge, true, true)}), kErrPvalidateBase + 6);
        expect_code("PVALIDATE rescind the 4K page", pvalidate_list(list, {entry(huge + 0x1000, false, false)}),
                    kSuccess);
        expect_code("PVALIDATE 2M", pvalidate_list(list, {entry(huge, true, true)}), kSuccess);
        expect_code("PVALIDATE rescind 2M", pvalidate_list(list, {entry(huge, true, false)}), kSuccess);
    }

    // CREATE_VCPU / DELETE_VCPU with a VMSA the guest built.
    const uint64_t vmsa = my_page(2), vcpu_caa = my_page(3);
    std::memset(va(vmsa), 0, 4096);
    va(vmsa)[0x0ca] = info.guest_vmpl;
    put64(vmsa + 0x0d0, uint64_t{1} << 12);  // EFER.SVME
    put64(vmsa + 0x3b0, info.sev_features);
    const uint64_t before = mutations();
    expect_code("CREATE_VCPU", core(CoreCall::kCreateVcpu, vmsa, vcpu_caa, info.apic_id).rax, kSuccess);
    expect("CREATE_VCPU counted", mutations() == before + 1);
    expect_code("DELETE_VCPU", core(CoreCall::kDeleteVcpu, vmsa).rax, kSuccess);
    put64(vmsa + 0x3b0, info.sev_features);  // the page is the guest's again (a fault here would stop us)
    expect_code("DELETE_VCPU twice", core(CoreCall::kDeleteVcpu, vmsa).rax, kErrInvalidParameter);
}

void malformed() {
    const uint64_t before = mutations(), list = my_page(1), vmsa = my_page(2), vcpu_caa = my_page(3);
    const uint64_t svsm = info.svsm_probe, outside = info.memory_base + info.memory_size;
    // The kernel copies task memory through its direct map, which guest
    // memory is not in: a pointer into this task's guest mapping is refused,
    // never followed (it would fault the kernel).
    expect("log from guest memory refused", svc::syscall(Sys::kLog, reinterpret_cast<uint64_t>(va(list)), 8) ==
                                                -static_cast<int64_t>(Error::kInvalidArgument));
    expect_code("attestation protocol on native", svsm_call(kProtocolAttestation, 0).rax, kErrUnsupportedProtocol);
    // The register-only cases both harnesses make (lib/warden/svsm/harness_cases.hpp).
    const harness::Addresses at{.list = list, .svsm = svsm, .outside = outside};
    for (const auto& c : harness::register_cases()) {
        const CallRegs r = harness::registers(c, at);
        expect_code(c.what, svsm_call(c.protocol, c.call, r.rcx).rax, c.expected);
    }
    const uint64_t p = my_validate_page(0);
    expect_code("PVALIDATE no entries", pvalidate_list(list, {}), kErrInvalidParameter);
    expect_code("PVALIDATE next past the end", pvalidate_list(list, {entry(p, false, true)}, 1), kErrInvalidParameter);
    put64(list + 4096 - 16, 2);  // 2 entries, only room for 1
    expect_code("PVALIDATE entries past the page", core(CoreCall::kPvalidate, list + 4096 - 16).rax,
                kErrInvalidParameter);
    expect_code("PVALIDATE page size 2", pvalidate_list(list, {entry(p, false, true) | 2}), kErrInvalidParameter);
    expect_code("PVALIDATE reserved bits", pvalidate_list(list, {entry(p, false, true) | 0x100}), kErrInvalidParameter);
    expect_code("PVALIDATE 2M entry not 2M aligned", pvalidate_list(list, {entry(p, true, true)}),
                kErrInvalidParameter);
    expect_code("PVALIDATE of SVSM memory", pvalidate_list(list, {entry(svsm, false, true)}), kErrInvalidAddress);
    expect_code("PVALIDATE outside guest memory", pvalidate_list(list, {entry(outside, false, true)}),
                kErrInvalidAddress);
    expect_code("CREATE_VCPU VMSA in SVSM memory", core(CoreCall::kCreateVcpu, svsm, vcpu_caa, info.apic_id).rax,
                kErrInvalidAddress);
    expect_code("CREATE_VCPU CAA in SVSM memory", core(CoreCall::kCreateVcpu, vmsa, svsm, info.apic_id).rax,
                kErrInvalidAddress);
    expect_code("CREATE_VCPU VMSA = CAA", core(CoreCall::kCreateVcpu, vmsa, vmsa, info.apic_id).rax,
                kErrInvalidAddress);
    expect_code("CREATE_VCPU misaligned", core(CoreCall::kCreateVcpu, vmsa + 8, vcpu_caa, info.apic_id).rax,
                kErrInvalidParameter);
    expect_code("CREATE_VCPU unknown APIC ID", core(CoreCall::kCreateVcpu, vmsa, vcpu_caa, 0xfffe).rax,
                kErrInvalidParameter);
    va(vmsa)[0x0ca] = 0;  // a VMSA for VMPL0
    expect_code("CREATE_VCPU VMPL0 VMSA", core(CoreCall::kCreateVcpu, vmsa, vcpu_caa, info.apic_id).rax,
                kErrInvalidParameter);
    va(vmsa)[0x0ca] = info.guest_vmpl;  // the page is ours again after the refusal
    put64(vmsa + 0x0d0, 0);
    expect_code("CREATE_VCPU without EFER.SVME", core(CoreCall::kCreateVcpu, vmsa, vcpu_caa, info.apic_id).rax,
                kErrInvalidParameter);
    put64(vmsa + 0x0d0, uint64_t{1} << 12);
    put64(vmsa + 0x3b0, info.sev_features ^ 4);
    expect_code("CREATE_VCPU other SEV_FEATURES", core(CoreCall::kCreateVcpu, vmsa, vcpu_caa, info.apic_id).rax,
                kErrInvalidParameter);
    expect_code("DELETE_VCPU of a page never created", core(CoreCall::kDeleteVcpu, vmsa).rax, kErrInvalidParameter);
    // Without call_pending the SVSM does nothing: RAX comes back as sent.
    const auto idle = svsm_call(kProtocolCore, static_cast<uint32_t>(CoreCall::kPvalidate), list, 0, 0, false);
    expect("a call without call_pending is not served", idle.rax == call_rax(kProtocolCore, 1));
    expect("the malformed calls changed no validation or vCPU state", mutations() == before);
    expect_code("the Calling Area still works", core(CoreCall::kQueryProtocol, 1).rax, kSuccess);
}

// A VMSA the SVSM accepts, as linux_order builds it.
void build_vmsa(uint64_t gpa) {
    std::memset(va(gpa), 0, 4096);
    va(gpa)[0x0ca] = info.guest_vmpl;
    put64(gpa + 0x0d0, uint64_t{1} << 12);  // EFER.SVME
    put64(gpa + 0x3b0, info.sev_features);
}

uint8_t vmsa_copy[4096];

// Issue 15: once CREATE_VCPU has taken a VMSA page, no call may have the
// SVSM read, write or validate it (docs/svsm.md, "The guest's hands"). This
// task must not touch the page either while it is live: it is unmapped.
void taken_vmsa() {
    const uint64_t list = my_page(1), vmsa = my_page(2), vcpu_caa = my_page(3), other = my_validate_page(0);
    build_vmsa(vmsa);
    put64(vmsa + 0x400, 1);  // a PVALIDATE list inside the VMSA: one entry, validate `other`
    put64(vmsa + 0x408, entry(other, false, true));
    build_vmsa(other);
    std::memcpy(vmsa_copy, va(vmsa), sizeof vmsa_copy);
    expect_code("CREATE_VCPU for the taken-page checks", core(CoreCall::kCreateVcpu, vmsa, vcpu_caa, info.apic_id).rax,
                kSuccess);
    const uint64_t before = mutations();
    expect_code("REMAP_CA into a live VMSA", core(CoreCall::kRemapCa, vmsa + 0xc8).rax, kErrInvalidAddress);
    expect_code("PVALIDATE rescind a live VMSA", pvalidate_list(list, {entry(vmsa, false, false)}), kErrInvalidAddress);
    expect("a refused first entry leaves next at 0", get16(list + 2) == 0);
    expect_code("PVALIDATE validate a live VMSA", pvalidate_list(list, {entry(vmsa, false, true)}), kErrInvalidAddress);
    expect_code("PVALIDATE stops at the live VMSA",
                pvalidate_list(list, {entry(other, false, true), entry(vmsa, false, false)}), kErrInvalidAddress);
    expect("next on the live VMSA's entry", get16(list + 2) == 1);
    expect_code("PVALIDATE rescind the page before it", pvalidate_list(list, {entry(other, false, false)}), kSuccess);
    expect_code("PVALIDATE list inside a live VMSA", core(CoreCall::kPvalidate, vmsa + 0x400).rax, kErrInvalidAddress);
    if (info.cpu_index == 0) {  // the first 2 MiB of the harness's half holds every vCPU's VMSA page
        expect_code("PVALIDATE 2M holding a live VMSA", pvalidate_list(list, {entry(info.harness_base, true, true)}),
                    kErrInvalidAddress);
    }
    build_vmsa(other);  // validating it zeroed it
    expect_code("CREATE_VCPU on a live VMSA", core(CoreCall::kCreateVcpu, vmsa, other, info.apic_id).rax,
                kErrInvalidAddress);
    expect_code("CREATE_VCPU with its CAA on a live VMSA", core(CoreCall::kCreateVcpu, other, vmsa, info.apic_id).rax,
                kErrInvalidAddress);
    expect_code("CREATE_VCPU on the caller's own Calling Area",
                core(CoreCall::kCreateVcpu, caa & ~uint64_t{4095}, other, info.apic_id).rax, kErrInvalidAddress);
    expect("the refused calls changed only the page before the VMSA (validated, rescinded)", mutations() == before + 2);
    expect_code("DELETE_VCPU after the taken-page checks", core(CoreCall::kDeleteVcpu, vmsa).rax, kSuccess);
    expect("no byte of the VMSA changed while it was live", std::memcmp(vmsa_copy, va(vmsa), sizeof vmsa_copy) == 0);
    const uint64_t own = caa;
    expect_code("REMAP_CA into the deleted VMSA's page", core(CoreCall::kRemapCa, vmsa).rax, kSuccess);
    caa = vmsa;
    expect_code("a call through it", core(CoreCall::kQueryProtocol, 1).rax, kSuccess);
    expect_code("REMAP_CA back", core(CoreCall::kRemapCa, own).rax, kSuccess);
    caa = own;
}

uint64_t median(uint64_t* v, size_t n) {
    for (size_t i = 1; i < n; ++i) {
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; --j) {
            const uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    }
    return v[n / 2];
}

// Figures for docs/benchmarks.md (./warden bench svsm boots with warden.bench):
// not judged, and not run on an ordinary boot.
void bench() {
    constexpr size_t kSamples = 51;
    uint64_t rt[kSamples];
    for (auto& sample : rt) {
        const uint64_t t0 = svc::rdtsc();
        (void)core(CoreCall::kQueryProtocol, 1);
        sample = svc::rdtsc() - t0;
    }
    svc::log("harness: vcpu={} bench: SVSM call round trip median {} TSC cycles ({} calls)", info.cpu_index,
             median(rt, kSamples), kSamples);
    if (info.cpu_index != 0) return;
    // PVALIDATE of a 511-entry list over the second 2 MiB of guest memory.
    const uint64_t list = my_page(1), base = info.harness_base + 0x200000;
    put64(list, 511);
    for (uint64_t i = 0; i < 511; ++i) put64(list + 8 + 8 * i, entry(base + i * 4096, false, true));
    uint64_t t0 = svc::rdtsc();
    const uint64_t r = core(CoreCall::kPvalidate, list).rax;
    const uint64_t validate = svc::rdtsc() - t0;
    for (uint64_t i = 0; i < 511; ++i) put64(list + 8 + 8 * i, entry(base + i * 4096, false, false));
    put64(list, 511);
    t0 = svc::rdtsc();
    const uint64_t r2 = core(CoreCall::kPvalidate, list).rax;
    const uint64_t rescind = svc::rdtsc() - t0;
    expect_code("bench: PVALIDATE 511", r, kSuccess);
    expect_code("bench: rescind 511", r2, kSuccess);
    const uint64_t hz = info.tsc_hz ? info.tsc_hz : 1;
    svc::log(
        "harness: vcpu=0 bench: PVALIDATE 511 x 4K: validate {} cycles ({} pages/s, zeroing included), "
        "rescind {} cycles ({} pages/s)",
        validate, 511 * hz / (validate ? validate : 1), rescind, 511 * hz / (rescind ? rescind : 1));
}

}  // namespace

int64_t service_main() {
    if (svc::syscall(Sys::kGuestInfo, reinterpret_cast<uint64_t>(&info)) < 0 || info.memory_size == 0) {
        svc::log("harness: no guest memory: nothing to test");
        return 1;
    }
    caa = info.caa;
    linux_order();
    malformed();
    taken_vmsa();
    if (info.bench) bench();
    svc::log("harness: vcpu={} svsm_calls={} checks={} passed={} failed={}", info.cpu_index, calls, passed + failed,
             passed, failed);
    return failed == 0 ? 0 : 1;
}
