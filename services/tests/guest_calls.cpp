// Test service: the guest calls a loader makes for what only the kernel can
// place (kGuestSecrets, kGuestCpuid), each bad input answered with its
// error, then the good path read back. A kManifestSvsm task, as a loader is.
// Exits with the number of checks that did not hold (0 = all good).
#include "service.hpp"
#include "tally.hpp"
#include "warden/sev/secrets.hpp"
#include "warden/svsm/core.hpp"

WARDEN_SERVICE_MANIFEST(.name = "guest-calls", .serves = "", .uses = {}, .ports = {}, .cpu = warden::abi::kAnyCpu,
                        .flags = warden::abi::kManifestSvsm);

namespace {

using warden::Error;
using warden::abi::Sys;
service_test::Tally tally;

int64_t secrets(uint64_t gpa, uint64_t caa) { return svc::syscall(Sys::kGuestSecrets, gpa, caa); }
int64_t cpuid(uint64_t gpa) { return svc::syscall(Sys::kGuestCpuid, gpa); }

warden::abi::GuestInfo info;
alignas(8) uint8_t page[4096];

// Bad targets and Calling Areas: nothing written, each error its own.
void bad_inputs(uint64_t gpa, uint64_t caa) {
    const uint64_t svsm = info.svsm_probe & ~uint64_t{0xfff}, wraps = ~uint64_t{0xfff};
    for (const auto call : {Sys::kGuestSecrets, Sys::kGuestCpuid}) {
        const auto place = [call, caa](uint64_t target) { return svc::syscall(call, target, caa); };
        tally.expect(place(gpa + 8), Error::kMisaligned, "a target not page-aligned");
        tally.expect(place(svsm), Error::kOutOfRange, "a target in SVSM memory");
        tally.expect(place(wraps), Error::kOutOfRange, "a target whose page wraps past 2^64");
        tally.expect(place(gpa), Error::kDenied, "a target the guest has not validated");
    }
    tally.expect(secrets(gpa, caa + 8), Error::kMisaligned, "a Calling Area not page-aligned");
    tally.expect(secrets(gpa, svsm), Error::kOutOfRange, "a Calling Area in SVSM memory");
    tally.expect(secrets(gpa, wraps), Error::kOutOfRange, "a Calling Area whose page wraps");
    tally.expect(secrets(gpa, gpa), Error::kInvalidArgument, "a Calling Area on the secrets page");
}

void good_path(uint64_t gpa, uint64_t caa) {
    tally.expect_true(secrets(gpa, caa) == 0, "the secrets page placed on a validated page");
    tally.expect_true(svc::syscall(Sys::kGuestRead, gpa, reinterpret_cast<uint64_t>(page), sizeof page) == 0,
                      "the secrets page read back");
    auto f = warden::sev::read_svsm_fields(page);
    tally.expect_true(f.ok() && f->base == info.svsm_base && f->size == info.svsm_size && f->caa == caa &&
                          f->max_version == 1 && f->guest_vmpl == info.guest_vmpl,
                      "the secrets page's SVSM fields: SVSM memory, the Calling Area, version 1, the guest's VMPL");
    bool vmpck0_clear = true;
    for (size_t i = 0; i < warden::sev::kVmpckSize; ++i) vmpck0_clear &= page[warden::sev::kSecretsVmpck0 + i] == 0;
    tally.expect_true(vmpck0_clear, "VMPCK0 is not in the guest's secrets page");
    // The CPUID page: the platform's where it has one (SNP), else none.
    const int64_t c = cpuid(gpa);
    if (info.runs_guest) {
        tally.expect_true(c == 0, "the CPUID page placed");
        uint32_t count = 0;
        tally.expect_true(svc::syscall(Sys::kGuestRead, gpa, reinterpret_cast<uint64_t>(&count), 4) == 0 && count > 0,
                          "the CPUID page placed has entries");
    } else {
        tally.expect(c, Error::kNotFound, "no CPUID page on native");
    }
}

// A page CREATE_VCPU took as a VMSA is out of the guest's hands: neither a
// target nor the Calling Area. Only where tasks play the guest (native):
// elsewhere CREATE_VCPU would start a vCPU from it.
void taken_page(uint64_t gpa, uint64_t caa) {
    const uint64_t vmsa = gpa + 0x1000;
    tally.expect_true(svc::syscall(Sys::kGuestPvalidate, vmsa, 0, 1) >= 0, "the VMSA page validated");
    const uint8_t vmpl = info.guest_vmpl;
    const uint64_t efer = uint64_t{1} << 12;  // EFER.SVME, which a VMSA must carry
    (void)svc::syscall(Sys::kGuestWrite, vmsa + 0x0ca, reinterpret_cast<uint64_t>(&vmpl), 1);
    (void)svc::syscall(Sys::kGuestWrite, vmsa + 0x0d0, reinterpret_cast<uint64_t>(&efer), 8);
    (void)svc::syscall(Sys::kGuestWrite, vmsa + 0x3b0, reinterpret_cast<uint64_t>(&info.sev_features), 8);
    if (svc::syscall(Sys::kVcpuCreate, vmsa, caa, info.apic_id) != 0) {
        tally.expect_true(false, "CREATE_VCPU of a well-formed VMSA");
        return;
    }
    tally.expect(secrets(vmsa, caa), Error::kDenied, "a secrets page onto a live VMSA");
    tally.expect(cpuid(vmsa), Error::kDenied, "a CPUID page onto a live VMSA");
    tally.expect(secrets(gpa, vmsa), Error::kDenied, "a Calling Area on a live VMSA");
    tally.expect_true(svc::syscall(Sys::kVcpuDelete, vmsa) == 0, "DELETE_VCPU gives the page back");
    tally.expect_true(secrets(vmsa, caa) == 0, "the page given back takes a secrets page again");
    (void)svc::syscall(Sys::kGuestPvalidate, vmsa, 0, 0);
}

}  // namespace

extern "C" int64_t service_main() {
    if (svc::syscall(Sys::kGuestInfo, reinterpret_cast<uint64_t>(&info)) < 0 || info.memory_size < (6 << 20)) {
        svc::log("FAILED: no guest memory to test in");
        return 1;
    }
    // A page past the initial Calling Areas (4 MiB in) and below the 2 MiB
    // page guest_test.cpp validates (6 MiB in): nobody else's.
    const uint64_t gpa = info.memory_base + (5 << 20), caa = info.caa;
    bad_inputs(gpa, caa);
    const int64_t validated = svc::syscall(Sys::kGuestPvalidate, gpa, 0, 1);
    tally.expect_true(validated == static_cast<int64_t>(warden::svsm::PvalidateOutcome::kChanged),
                      "the target validated");
    if (validated >= 0) {
        good_path(gpa, caa);
        if (!info.runs_guest) taken_page(gpa, caa);
        (void)svc::syscall(Sys::kGuestPvalidate, gpa, 0, 0);
        tally.expect(secrets(gpa, caa), Error::kDenied, "a target rescinded again");
    }
    return tally.finish();
}
