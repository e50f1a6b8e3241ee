// The guest side of the tpm2-tools relay (docs/vtpm.md, "tpm2-tools"): on
// native, where tasks play the guest (kManifestGuest), it reads TPM commands
// from COM2 (0x2f8, a QEMU chardev the host's tools/tpm_relay.py holds) and
// sends each to Warden's vTPM as the guest's VTPM_CMD (SVSM protocol 2,
// through this CPU's request loop, its buffer in guest memory), then writes
// the response back. Frames both ways: u32 size (little-endian), then the
// bytes; a size of 0 back says the call failed (its SVSM result code is
// logged).
#include "service.hpp"
#include "warden/svsm/core.hpp"
#include "warden/svsm/vtpm.hpp"

WARDEN_SERVICE_MANIFEST(.name = "tpm-relay", .serves = "", .uses = {"svsm0"}, .ports = {{0x2f8, 8}}, .cpu = 0,
                        .flags = warden::abi::kManifestGuest);

namespace {

using namespace warden;
using namespace warden::svsm;
using warden::abi::Sys;

constexpr uint16_t kCom2 = 0x2f8;
constexpr uint16_t kData = 0, kIer = 1, kFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5;
constexpr uint8_t kLsrDataReady = 1, kLsrThrEmpty = 0x20;
constexpr uint64_t kSvsm = 1;  // handle of svsm0

abi::GuestInfo info;
uint8_t* va(uint64_t gpa) { return reinterpret_cast<uint8_t*>(abi::kGuestMapBase + gpa); }

uint8_t in(uint16_t reg) { return static_cast<uint8_t>(svc::io_in(kCom2 + reg, 1)); }
void out(uint16_t reg, uint8_t v) { (void)svc::io_out(kCom2 + reg, 1, v); }

uint8_t read_byte() {
    while (!(in(kLsr)&kLsrDataReady)) {
        svc::Message idle;  // nothing is sent here: a wait of 1 ms
        (void)svc::receive(0, idle, 1);
    }
    return in(kData);
}
void write_byte(uint8_t b) {
    while (!(in(kLsr)&kLsrThrEmpty)) (void)svc::yield();
    out(kData, b);
}
CallRegs svsm_call(uint32_t protocol, uint32_t call, uint64_t rcx = 0) {
    *reinterpret_cast<volatile uint8_t*>(va(info.caa)) = 1;  // call_pending
    svc::Message m{.label = call_rax(protocol, call), .words = {rcx, 0, 0, 0}}, r;
    if (svc::call(kSvsm, m, r) < 0) return CallRegs{.rax = ~uint64_t{0}};
    return CallRegs{.rax = r.label, .rcx = r.words[0], .rdx = r.words[1], .r8 = r.words[2], .r9 = r.words[3]};
}

}  // namespace

int64_t service_main() {
    if (svc::syscall(Sys::kGuestInfo, reinterpret_cast<uint64_t>(&info)) < 0 || info.memory_size == 0) {
        svc::log("tpm-relay: no guest memory: not relaying");
        return 1;
    }
    // The buffer: a page of the guest's half of RAM the harness does not use.
    const uint64_t buf = info.harness_base + 400 * 4096;
    const CallRegs q =
        svsm_call(kProtocolCore, static_cast<uint32_t>(CoreCall::kQueryProtocol), (uint64_t{kProtocolVtpm} << 32) | 1);
    if (q.rax != kSuccess || q.rcx == 0) {
        svc::log("tpm-relay: the SVSM offers no vTPM (QUERY_PROTOCOL 2 answered {:#x}, {:#x}): not relaying", q.rax,
                 q.rcx);
        return 2;
    }
    out(kIer, 0);     // no interrupts: polled
    out(kLcr, 0x03);  // 8N1
    out(kFcr, 0x07);  // FIFOs on and cleared
    out(kMcr, 0x03);  // DTR, RTS
    svc::log("tpm-relay: relaying TPM commands from COM2 to VTPM_CMD (buffer at GPA {:#x})", buf);
    const std::span<uint8_t, kVtpmBuffer> page(va(buf), kVtpmBuffer);
    for (uint64_t n = 1;; ++n) {
        const RelayedFrame f =
            relay_frame(page, read_byte, write_byte, [&] { return svsm_call(kProtocolVtpm, kVtpmCmd, buf).rax; });
        if (f.result != kSuccess) {
            svc::log("tpm-relay: command {} ({} bytes): VTPM_CMD answered {:#x}", n, f.size, f.result);
            continue;
        }
        if (n == 1 || (n & (n - 1)) == 0) svc::log("tpm-relay: {} commands relayed", n);
    }
}
