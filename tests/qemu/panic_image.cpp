// An image whose only test panics: the QEMU suite must report it as a failure
// carrying this message (tools/qemu_test.py --expect-fail).
#include "panic.hpp"
#include "test/ktest.hpp"

KTEST("panic: a kernel invariant breaks") { warden::panic("deliberate panic from the panic test image ({})", 42); }
