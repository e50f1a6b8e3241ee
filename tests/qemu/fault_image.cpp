// An image whose only test writes to read-only memory outside any fault
// catcher: the kernel must report the fault and stop, and the runner must
// call that a failure carrying the report.
#include "test/ktest.hpp"

namespace {
[[gnu::used]] const int constant = 1;                                          // in .rodata
volatile uintptr_t constant_address = reinterpret_cast<uintptr_t>(&constant);  // hides it from the optimiser
}  // namespace

KTEST("fault: write to .rodata") { *reinterpret_cast<volatile int*>(constant_address) = 2; }
