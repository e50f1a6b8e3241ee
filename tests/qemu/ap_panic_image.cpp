// An image whose only test makes an AP panic: the panic must be reported with
// its CPU and stop every CPU (the BSP, waiting with interrupts off, included:
// it is stopped by NMI), so QEMU exits with the fail status.
#include "arch/x86_64/smp.hpp"
#include "panic.hpp"
#include "test/ktest.hpp"

namespace {
void panic_here(void*) { warden::panic("deliberate panic on an application processor"); }
}  // namespace

KTEST("panic: an AP breaks an invariant") { (void)warden::arch::smp::call_on(1, panic_here, nullptr); }
