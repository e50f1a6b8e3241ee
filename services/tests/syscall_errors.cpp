// Test service: every system call's error paths. Exits with the number of
// checks that did not give the expected error (0 = all good).
#include "service.hpp"
#include "tally.hpp"

WARDEN_SERVICE_MANIFEST(.name = "syscall-errors", .serves = "", .uses = {"errors-sink"}, .ports = {{0x80, 1}, {0, 0}},
                        .cpu = warden::abi::kAnyCpu);

namespace {
using warden::Error;
service_test::Tally tally;
}  // namespace

extern "C" int64_t service_main() {
    using warden::abi::Sys;
    const uint64_t kernel_ptr = 0xffffffff80100000, unmapped = 0x10000000000, non_canonical = 0x8000000000000000;
    const uint64_t text_ptr = reinterpret_cast<uint64_t>(&service_main);  // mapped, not writable
    svc::Message m;

    tally.expect(svc::syscall(Sys::kLog, kernel_ptr, 10), Error::kInvalidArgument, "log from a kernel address");
    tally.expect(svc::syscall(Sys::kLog, unmapped, 10), Error::kInvalidArgument, "log from an unmapped address");
    tally.expect(svc::syscall(Sys::kLog, non_canonical, 10), Error::kInvalidArgument,
                 "log from a non-canonical address");
    tally.expect(svc::syscall(Sys::kLog, reinterpret_cast<uint64_t>("x"), 100000), Error::kOutOfRange, "log too long");
    tally.expect(svc::send(7, m), Error::kBadHandle, "send on an empty handle");
    tally.expect(svc::send(1000, m), Error::kBadHandle, "send on a handle past the table");
    tally.expect(svc::syscall(Sys::kSend, 1, kernel_ptr), Error::kInvalidArgument, "send from a kernel address");
    tally.expect(svc::receive(0, m, 0), Error::kBadHandle, "receive without a served queue");
    tally.expect(svc::syscall(Sys::kReceive, 1, text_ptr, 0), Error::kInvalidArgument, "receive into read-only memory");
    tally.expect(svc::syscall(Sys::kCall, 1, reinterpret_cast<uint64_t>(&m), kernel_ptr, 0), Error::kInvalidArgument,
                 "call with a kernel reply buffer");
    tally.expect(svc::reply(12345, m), Error::kBadHandle, "reply to no call");
    tally.expect(svc::io_in(0x3f8, 1), Error::kDenied, "read a port not granted");
    tally.expect(svc::io_out(0x80, 2, 0), Error::kDenied, "a 2-byte write past the granted byte");
    tally.expect(svc::io_in(0x80, 3), Error::kInvalidArgument, "odd port width");
    tally.expect(svc::syscall(Sys::kDmaBuffer, 1, kernel_ptr), Error::kInvalidArgument,
                 "DMA address to a kernel pointer");
    uint64_t phys = 0x5a5a;
    tally.expect(svc::syscall(Sys::kDmaBuffer, 1000, reinterpret_cast<uint64_t>(&phys)), Error::kInvalidArgument,
                 "DMA buffer too large");
    tally.expect_true(phys == 0x5a5a, "a refused DMA request left its output alone");
    tally.expect(svc::syscall(Sys::kGuestStart, reinterpret_cast<uint64_t>("vmsa"), 0), Error::kDenied,
                 "start a guest vCPU without kManifestSvsm");
    tally.expect(svc::syscall(Sys::kGuestSecrets, 0, 0x1000), Error::kDenied,
                 "place a secrets page without kManifestSvsm");
    tally.expect(svc::syscall(Sys::kGuestCpuid, 0), Error::kDenied, "place a CPUID page without kManifestSvsm");
    uint8_t key[32] = {};
    tally.expect(svc::syscall(Sys::kPspKey, reinterpret_cast<uint64_t>(key)), Error::kDenied,
                 "take the PSP key without kManifestAttest");
    tally.expect(svc::syscall(Sys::kGuestRequest, 0x1000, 0x2000, reinterpret_cast<uint64_t>(key)), Error::kDenied,
                 "a guest request without kManifestAttest");
    tally.expect(svc::syscall(Sys::kSetFsBase, 0x0000800000000000), Error::kOutOfRange, "FS.base in the kernel half");
    tally.expect(svc::syscall(static_cast<Sys>(999)), Error::kUnsupported, "unknown system call");
    // And the good paths still work after all that.
    tally.expect_true(svc::io_in(0x80, 1) >= 0 && svc::send(1, m) == 0, "the good paths after the refused ones");
    return tally.finish();
}
