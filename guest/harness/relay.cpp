// The harness guest's relay image (docs/vtpm.md, "tpm2-tools on SNP"):
// build/guest/harness/harness-relay.bin. On the emulated SNP host, at VMPL2
// under Warden, vCPU 0 first asks for an attestation report of the vTPM
// (ATTEST_SINGLE_SERVICE: REPORT_DATA = SHA-512(nonce || EK)) and prints
// nonce, EK and report; then it relays TPM commands from COM2 to VTPM_CMD
// (frames: u32 size little-endian, the bytes; a size of 0 back when the
// SVSM refused the call), so that tpm2-tools (tools/tpm_relay.py on the
// host) talk to the same vTPM whose EK the report binds.
#include <cstring>

#include "console.hpp"
#include "cpu.hpp"
#include "ghcb.hpp"
#include "run.hpp"
#include "svsm.hpp"
#include "warden/bytes.hpp"
#include "warden/svsm/attest.hpp"
#include "warden/svsm/vtpm.hpp"

namespace harness {
namespace {

using namespace warden;
using namespace warden::svsm;

constexpr uint16_t kCom2 = 0x2f8;
constexpr uint16_t kLsr = kCom2 + 5;

uint8_t* va(uint64_t gpa) { return reinterpret_cast<uint8_t*>(gpa); }
void put64(uint64_t gpa, uint64_t x) { std::memcpy(va(gpa), &x, 8); }

CallRegs call(Vcpu& v, uint32_t protocol, uint32_t number, uint64_t rcx) {
    const auto r = svsm_call(v, CallRegs{.rax = call_rax(protocol, number), .rcx = rcx});
    return r.ran ? r.regs : CallRegs{.rax = ~uint64_t{0}};
}

void print_hex(const char* what, const uint8_t* bytes, size_t n) {
    for (size_t at = 0; at < n; at += 32) {
        char text[64];
        log("harness: vcpu=0 {} +{:#05x} {}", what, at,
            to_hex(std::span<const uint8_t>(bytes + at, n - at < 32 ? n - at : 32), text));
    }
}

uint8_t read_byte(Vcpu& v) {
    while (!(cpu::inb(kLsr) & 1)) give_vmpl0_its_turn(v);
    return cpu::inb(kCom2);
}
void write_byte(uint8_t b) {
    while (!(cpu::inb(kLsr) & 0x20)) cpu::pause();
    cpu::outb(kCom2, b);
}
// ATTEST_SINGLE_SERVICE for the vTPM: the report and the EK it binds.
bool attest_vtpm(Vcpu& v) {
    const uint64_t op = gpa_of(v.area->list), report = gpa_of(v.area->vmsa), manifest = gpa_of(v.area->vcpu_caa);
    const uint64_t nonce = op + 0x800;
    std::memset(va(op), 0, kPage);
    const uint64_t fresh = cpu::rdtsc();
    for (uint64_t i = 0; i < 64; ++i) va(nonce)[i] = static_cast<uint8_t>((fresh >> (8 * (i % 8))) ^ (i * 0x6b));
    put64(op + 0x00, report);
    put64(op + 0x08, kPage);
    put64(op + 0x10, nonce);
    put64(op + 0x18, 64);
    put64(op + 0x20, manifest);
    put64(op + 0x28, kPage);
    const Guid vtpm = guid("c476f1eb-0123-45a5-9641-b4e7dde5bfe3");
    std::memcpy(va(op + 0x40), vtpm.data(), 16);
    const CallRegs r = call(v, kProtocolAttestation, kAttestSingleService, op);
    if (r.rax != kSuccess || r.r8 != 0x4a0 || r.rcx == 0 || r.rcx > kPage) {
        log("harness-relay: ATTEST_SINGLE_SERVICE for the vTPM answered {:#x}", r.rax);
        return false;
    }
    print_hex("attest single nonce", va(nonce), 64);
    print_hex("attest single manifest", va(manifest), r.rcx);
    print_hex("attest single report", va(report), 0x4a0);
    return true;
}

}  // namespace

void run(Vcpu& v) {
    if (v.boot.vcpu_index != 0) {
        for (;;) give_vmpl0_its_turn(v);
    }
    if (!attest_vtpm(v)) terminate(kReasonSetHarness, kReasonChecksFailed);
    cpu::outb(kCom2 + 1, 0);     // no interrupts: polled
    cpu::outb(kCom2 + 3, 0x03);  // 8N1
    cpu::outb(kCom2 + 2, 0x07);  // FIFOs on and cleared
    const uint64_t buf = gpa_of(v.area->list);
    log("harness-relay: relaying TPM commands from COM2 to VTPM_CMD");
    const std::span<uint8_t, kVtpmBuffer> page(va(buf), kVtpmBuffer);
    for (;;) {
        const RelayedFrame f = relay_frame(
            page, [&] { return read_byte(v); }, write_byte, [&] { return call(v, kProtocolVtpm, kVtpmCmd, buf).rax; });
        if (f.result != kSuccess)
            log("harness-relay: a command of {} bytes: VTPM_CMD answered {:#x}", f.size, f.result);
    }
}

}  // namespace harness
