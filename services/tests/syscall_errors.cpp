// Test service: every system call's error paths. Exits with the number of
// checks that did not give the expected error (0 = all good).
#include "service.hpp"

WARDEN_SERVICE_MANIFEST(.name = "syscall-errors", .serves = "", .uses = {"errors-sink"}, .ports = {{0x80, 1}, {0, 0}},
                        .cpu = warden::abi::kAnyCpu);

namespace {
using warden::Error;
int failures = 0, checks = 0;

void expect(int64_t got, Error want, const char* what) {
    ++checks;
    if (got != -static_cast<int64_t>(want)) {
        ++failures;
        svc::log("FAILED {}: got {}, expected -{} ({})", what, got, static_cast<int>(want), warden::error_name(want));
    }
}
}  // namespace

extern "C" int64_t service_main() {
    using warden::abi::Sys;
    const uint64_t kernel_ptr = 0xffffffff80100000, unmapped = 0x10000000000, non_canonical = 0x8000000000000000;
    const uint64_t text_ptr = reinterpret_cast<uint64_t>(&service_main);  // mapped, not writable
    svc::Message m;

    expect(svc::syscall(Sys::kLog, kernel_ptr, 10), Error::kInvalidArgument, "log from a kernel address");
    expect(svc::syscall(Sys::kLog, unmapped, 10), Error::kInvalidArgument, "log from an unmapped address");
    expect(svc::syscall(Sys::kLog, non_canonical, 10), Error::kInvalidArgument, "log from a non-canonical address");
    expect(svc::syscall(Sys::kLog, reinterpret_cast<uint64_t>("x"), 100000), Error::kOutOfRange, "log too long");
    expect(svc::send(7, m), Error::kBadHandle, "send on an empty handle");
    expect(svc::send(1000, m), Error::kBadHandle, "send on a handle past the table");
    expect(svc::syscall(Sys::kSend, 1, kernel_ptr), Error::kInvalidArgument, "send from a kernel address");
    expect(svc::receive(0, m, 0), Error::kBadHandle, "receive without a served queue");
    expect(svc::syscall(Sys::kReceive, 1, text_ptr, 0), Error::kInvalidArgument, "receive into read-only memory");
    expect(svc::syscall(Sys::kCall, 1, reinterpret_cast<uint64_t>(&m), kernel_ptr, 0), Error::kInvalidArgument,
           "call with a kernel reply buffer");
    expect(svc::reply(12345, m), Error::kBadHandle, "reply to no call");
    expect(svc::io_in(0x3f8, 1), Error::kDenied, "read a port not granted");
    expect(svc::io_out(0x80, 2, 0), Error::kDenied, "a 2-byte write past the granted byte");
    expect(svc::io_in(0x80, 3), Error::kInvalidArgument, "odd port width");
    expect(svc::syscall(Sys::kDmaBuffer, 1, kernel_ptr), Error::kInvalidArgument, "DMA address to a kernel pointer");
    uint64_t phys = 0x5a5a;
    expect(svc::syscall(Sys::kDmaBuffer, 1000, reinterpret_cast<uint64_t>(&phys)), Error::kInvalidArgument,
           "DMA buffer too large");
    ++checks;
    if (phys != 0x5a5a) {  // a failed call must leave the output alone
        ++failures;
        svc::log("FAILED: a refused DMA request wrote its output");
    }
    expect(svc::syscall(Sys::kGuestStart, reinterpret_cast<uint64_t>("vmsa"), 0), Error::kDenied,
           "start a guest vCPU without kManifestSvsm");
    expect(svc::syscall(Sys::kGuestSecrets, 0, 0x1000), Error::kDenied, "place a secrets page without kManifestSvsm");
    expect(svc::syscall(Sys::kGuestCpuid, 0), Error::kDenied, "place a CPUID page without kManifestSvsm");
    expect(svc::syscall(static_cast<Sys>(999)), Error::kUnsupported, "unknown system call");
    // And the good paths still work after all that.
    ++checks;
    if (svc::io_in(0x80, 1) < 0 || svc::send(1, m) != 0) ++failures;
    svc::log("{} checks, {} failed", checks, failures);
    return failures;
}
