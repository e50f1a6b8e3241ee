// The request loop: one per vCPU, pinned to its CPU. It waits for the
// guest's call (native: the harness's message; SNP: the guest's switch back
// to VMPL0 by VMGEXIT, kGuestRun) and serves it with lib/warden/svsm/core.hpp (only
// if the Calling Area says a call is pending; then call_pending is cleared),
// and answers with the result (the reply, or on SNP the guest's VMSA). The privileged parts are the kernel's guest
// system calls, which check every address again.
#include "service.hpp"
#include "warden/abi/attest_service.hpp"
#include "warden/abi/vtpm_service.hpp"
#include "warden/svsm/attest.hpp"
#include "warden/svsm/call_tally.hpp"
#include "warden/svsm/core.hpp"
#include "warden/svsm/vmsa_call.hpp"
#include "warden/svsm/vtpm.hpp"

WARDEN_SERVICE_MANIFEST(.name = "request_loop@", .serves = "svsm@", .uses = {"attest", "vtpm"}, .ports = {},
                        .cpu = warden::abi::kAnyCpu,
                        .flags = warden::abi::kManifestPerCpu | warden::abi::kManifestSvsm);

namespace {

using namespace warden;
using warden::abi::Sys;

Fail error_of(int64_t r) { return Fail(static_cast<Error>(-r)); }
Result<void> void_result(int64_t r) { return r < 0 ? Result<void>(error_of(r)) : Result<void>{}; }

class KernelServices final : public svsm::GuestServices {
public:
    explicit KernelServices(const abi::GuestInfo& info) : info_(info) {}
    // Asked of the kernel, which alone knows every vCPU's taken pages; it
    // asks again in each access below.
    bool in_guest_hands(PhysRange r) const override {
        return svc::syscall(Sys::kGuestInHands, r.base.raw(), r.size) == 0;
    }
    bool apic_id_exists(uint32_t apic_id) const override {
        for (uint32_t i = 0; i < info_.cpu_count && i < 64; ++i) {
            if (info_.apic_ids[i] == apic_id) return true;
        }
        return false;
    }
    Result<void> create_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t apic_id) override {
        return void_result(svc::syscall(Sys::kVcpuCreate, vmsa.raw(), caa.raw(), apic_id));
    }
    Result<void> delete_vcpu(PhysAddr vmsa) override { return void_result(svc::syscall(Sys::kVcpuDelete, vmsa.raw())); }

private:
    Result<void> copy_from_guest(PhysAddr gpa, void* out, size_t len) override {
        return void_result(svc::syscall(Sys::kGuestRead, gpa.raw(), reinterpret_cast<uint64_t>(out), len));
    }
    Result<void> copy_to_guest(PhysAddr gpa, const void* in, size_t len) override {
        return void_result(svc::syscall(Sys::kGuestWrite, gpa.raw(), reinterpret_cast<uint64_t>(in), len));
    }
    Result<svsm::PvalidateOutcome> change_validation(PhysAddr page, bool huge, bool validate) override {
        const int64_t r = svc::syscall(Sys::kGuestPvalidate, page.raw(), huge, validate);
        if (r < 0) return error_of(r);
        return static_cast<svsm::PvalidateOutcome>(r);
    }

    const abi::GuestInfo& info_;
};

// Whether the service behind a handle answers: asked once, with a label no
// service serves (answered with a refusal at once, so any reply means it is
// there), the answer kept; said once when it is not.
class ServiceProbe {
public:
    ServiceProbe(uint64_t handle, uint64_t wait_ms) : handle_(handle), wait_ms_(wait_ms) {}
    bool present(const char* what, const char* protocol) {
        if (!asked_) {
            asked_ = true;
            svc::Message m{.label = 0}, r;
            const int64_t got = svc::call(handle_, m, r, wait_ms_);
            present_ = got == 0;
            if (!present_)
                svc::log("svsm: no {} ({}): protocol {} not offered", what, error_name(Error(-got)), protocol);
        }
        return present_;
    }

private:
    uint64_t handle_, wait_ms_;
    bool asked_ = false, present_ = false;
};

// Protocol 1's back end: the attestation service (services/attest/), called
// with a lend of this loop's own buffer. Whether it is there is asked once,
// at the guest's first use of protocol 1: -Dattest=none builds it not at
// all (WARDEN_ATTEST 0), and an image may embed none, or one that found no
// PSP (native) and ended.
class IpcAttestation final : public svsm::Attestation {
public:
    bool offered() override { return WARDEN_ATTEST && probe_.present("attestation service", "1"); }
    svsm::AttestAnswer attest(const svsm::AttestQuery& q) override {
        namespace proto = abi::attest_service;
        svsm::AttestAnswer a;
        for (size_t i = 0; i < q.nonce.size(); ++i) lend_[proto::kNonceAt + i] = q.nonce[i];
        for (size_t i = 0; i < q.service.size(); ++i) lend_[proto::kServiceAt + i] = q.service[i];
        svc::Message m{.label = proto::kAttest,
                       .words = {q.single ? proto::kSingle : 0, q.report_room, q.manifest_room, q.certificates_room}},
            r;
        if (svc::call(kAttestHandle, m, r, kCallMs, lend_, sizeof lend_) != 0) return a;  // kFailed
        if (r.label > static_cast<uint64_t>(svsm::AttestStatus::kFailed)) return a;
        a.status = static_cast<svsm::AttestStatus>(r.label);
        if (a.status != svsm::AttestStatus::kDone && a.status != svsm::AttestStatus::kTooSmall) return a;
        // Sizes the lend cannot hold are the service's error; the dispatcher holds them to the rooms.
        if (r.words[0] > proto::kReportRoom || r.words[1] > svsm::kAttestRoomMax || r.words[2] > svsm::kAttestRoomMax)
            return svsm::AttestAnswer{};
        a.report_size = static_cast<uint32_t>(r.words[0]);
        a.manifest_size = static_cast<uint32_t>(r.words[1]);
        a.certificates_size = static_cast<uint32_t>(r.words[2]);
        a.report = {lend_ + proto::kReportAt, a.report_size};
        a.manifest = {lend_ + proto::kManifestAt, a.manifest_size};
        a.certificates = {lend_ + proto::kCertificatesAt, a.certificates_size};
        return a;
    }

private:
    static constexpr uint64_t kAttestHandle = 1;  // uses[0]
    // The first report waits for the services manifest, which waits for the vTPM's start.
    static constexpr uint64_t kCallMs = 90'000;
    ServiceProbe probe_{kAttestHandle, 5000};
    uint8_t lend_[abi::attest_service::kLendSize] = {};
};

// Protocol 2's back end: the vTPM service (services/vtpm/), a command and
// its response in a lend of this loop's page. Asked once, as attestation
// is: -Dvtpm=none builds it not at all (WARDEN_VTPM 0). Its first answer
// waits for the vTPM's start (libtpms' manufacture and the EK: seconds
// under TCG on the emulated host), hence the long first wait.
class IpcVtpm final : public svsm::Vtpm {
public:
    bool offered() override { return WARDEN_VTPM && probe_.present("vTPM service", "2"); }
    Result<size_t> send(std::span<const uint8_t> command, std::span<uint8_t> response) override {
        namespace proto = abi::vtpm_service;
        if (command.size() > sizeof lend_) return Fail(Error::kOverflow);
        for (size_t i = 0; i < command.size(); ++i) lend_[i] = command[i];
        svc::Message m{.label = proto::kCommand, .words = {command.size()}}, r;
        if (const int64_t got = svc::call(kVtpmHandle, m, r, kCallMs, lend_, sizeof lend_); got != 0)
            return error_of(got);
        if (r.label != 0) return Fail(static_cast<Error>(r.label));
        if (r.words[0] > response.size() || r.words[0] > sizeof lend_) return Fail(Error::kOverflow);
        for (size_t i = 0; i < r.words[0]; ++i) response[i] = lend_[i];
        return static_cast<size_t>(r.words[0]);
    }

private:
    static constexpr uint64_t kVtpmHandle = 2;  // uses[1]
    static constexpr uint64_t kCallMs = 30'000;
    ServiceProbe probe_{kVtpmHandle, 60'000};
    uint8_t lend_[abi::vtpm_service::kMaxCommand] = {};
};

abi::GuestInfo info;
IpcAttestation attestation;
IpcVtpm vtpm;

// The calls this vCPU's guest made (SNP): the first of each kind when it
// comes, the whole tally at 4, 8, 16, ... calls (a firmware makes few, long
// calls: Debian 13's OVMF accepts its RAM in lists of entries).
svsm::CallTally tally;

void note_call(uint64_t rax) {
    const auto protocol = static_cast<uint32_t>(rax >> 32), call = static_cast<uint32_t>(rax);
    if (tally.record(rax)) {
        const char* name = svsm::call_name(protocol, call);
        svc::log("svsm: vCPU {}'s first {} call (protocol {} call {})", info.cpu_index, name ? name : "unknown",
                 protocol, call);
    }
    const uint64_t n = tally.total();
    if (n >= 4 && (n & (n - 1)) == 0) {
        fmt::FixedString<abi::kMaxLog> line;
        fmt::format(line, "svsm: vCPU {}: ", info.cpu_index);
        tally.describe(line);
        (void)svc::log_raw(line.view());
    }
}

// Native: the harness task's message is the call, the reply the answer.
[[noreturn]] void serve_messages(KernelServices& services, svsm::VcpuState& vcpu) {
    for (;;) {
        svc::Message m;
        if (svc::receive(0, m) < 0) continue;
        svsm::CallRegs regs{.rax = m.label, .rcx = m.words[0], .rdx = m.words[1], .r8 = m.words[2], .r9 = m.words[3]};
        // Only a call the guest marked pending is served; otherwise the
        // guest resumes with its registers as they were.
        (void)svsm::serve(regs, vcpu, services);
        svc::Message out{.label = regs.rax, .words = {regs.rcx, regs.rdx, regs.r8, regs.r9}};
        if (m.reply) (void)svc::reply(m.reply, out);
    }
}

// Where the kernel runs the guest (SNP): each kGuestRun runs this CPU's
// vCPU until it is back at VMPL0 and hands back its registers and why it
// left. An exit that is no VMGEXIT (a physical interrupt, a HLT: they can
// come after the guest's write of call_pending, before its VMGEXIT), or a
// VMGEXIT without call_pending, is no call: nothing is answered, its
// registers stay as they are, and it runs again (COCONUT-SVSM's request
// loop does the same).
// Until the loader or a CREATE_VCPU starts a vCPU here, the loop waits.
int64_t serve_guest_runs(KernelServices& services, svsm::VcpuState& vcpu) {
    constexpr uint64_t kIdleMs = 10;
    abi::GuestCall call, answer;
    const abi::GuestCall* results = nullptr;
    uint64_t start = 0;
    for (;;) {
        const int64_t r =
            svc::syscall(Sys::kGuestRun, reinterpret_cast<uint64_t>(results), reinterpret_cast<uint64_t>(&call));
        results = nullptr;
        if (r == -static_cast<int64_t>(Error::kNotFound)) {
            svc::Message m;  // nothing is sent here: a wait of kIdleMs
            (void)svc::receive(0, m, kIdleMs);
            continue;
        }
        if (r < 0) {
            svc::log("running the guest's vCPU failed: not serving it any more");
            return 1;
        }
        if (call.start != start) {  // a vCPU started on this CPU: its Calling Area
            start = call.start;
            vcpu.caa = PhysAddr(call.caa);
        }
        svsm::CallRegs regs{.rax = call.rax, .rcx = call.rcx, .rdx = call.rdx, .r8 = call.r8, .r9 = call.r9};
        const uint64_t asked = call.rax;
        // The guest runs inside this loop's system call with interrupts off,
        // so the tick never finds the loop in user mode: a yield after each
        // call lets the other tasks of this CPU run, and a switch that was no
        // call (the guest giving VMPL0 its turn) waits a tick, so that even
        // the idle work of this CPU gets its turn.
        if (svsm::is_request(call.exit_code) && svsm::serve(regs, vcpu, services)) {
            note_call(asked);
            answer = abi::GuestCall{
                .rax = regs.rax, .rcx = regs.rcx, .rdx = regs.rdx, .r8 = regs.r8, .r9 = regs.r9, .start = call.start};
            results = &answer;
            (void)svc::syscall(Sys::kYield);
        } else {
            svc::Message m;
            (void)svc::receive(0, m, 1);
        }
    }
}

}  // namespace

int64_t service_main() {
    if (svc::syscall(Sys::kGuestInfo, reinterpret_cast<uint64_t>(&info)) < 0) {
        svc::log("no guest information: not serving");
        return 1;
    }
    KernelServices services(info);
    // Attestation is offered where the kernel runs the guest (SNP) and an
    // attestation service answers (IpcAttestation::offered).
    // The vTPM needs no PSP: offered wherever a vTPM service answers.
    svsm::VcpuState vcpu{
        .caa = PhysAddr(info.caa), .attestation = info.runs_guest ? &attestation : nullptr, .vtpm = &vtpm};
    if (info.runs_guest) return serve_guest_runs(services, vcpu);
    serve_messages(services, vcpu);
}
