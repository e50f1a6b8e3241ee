// A negative image for the emulated SNP host (docs/snp-host.md): VMPL0 asks
// RMPADJUST to set the permissions of VMPL0 itself on one of its own frames.
// RMPADJUST only changes the permissions of a numerically higher VMPL than
// the caller's (APM vol. 2 15.36.7; AMDESE/AMDSEV issue 208): the hardware
// answers FAIL_PERMISSION (2) in EAX and changes nothing. That is a return
// code, not a fault, so the host prints no report line for it: the image
// prints the code it got, and the snp suite requires it together with the
// host's RMPADJUST counter.
#include "arch/x86_64/cpu.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "task/log_ring.hpp"
#include "test/ktest.hpp"
#include "warden/sev/ioio.hpp"

KTEST("snp negative: RMPADJUST of the caller's own VMPL is FAIL_PERMISSION") {
    // The ready line first through COM1: the host prints its counters on that
    // exit, so the one instruction below is counted after them, not before.
    warden::task::log_ring::flush(2'000'000);
    auto frame = warden::mm::alloc_frames(0);
    KCHECK(frame.ok());
    if (!frame.ok()) return;
    const uint64_t va = reinterpret_cast<uint64_t>(warden::mm::phys_to_virt(*frame));
    const uint32_t eax = warden::arch::rmpadjust(
        va, false, warden::sev::rmpadjust_attributes(0, warden::sev::kRmpRead | warden::sev::kRmpWrite, false));
    warden::log::raw("snp-negative: RMPADJUST target VMPL0 from VMPL0: eax {}", eax);
    KCHECK(eax == warden::sev::kFailPermission);
}
