// An image whose only test triple-faults: QEMU (-no-reboot) then exits with
// status 0, which the runner must never take for a pass.
#include "arch/x86_64/cpu.hpp"
#include "test/ktest.hpp"

KTEST("triple fault: the CPU shuts down") { warden::arch::triple_fault(); }
