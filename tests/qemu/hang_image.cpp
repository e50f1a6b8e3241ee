// An image whose only test never returns: the runner's timeout must fail it.
#include "arch/x86_64/cpu.hpp"
#include "test/ktest.hpp"

KTEST("hang: never finishes") { warden::arch::halt_forever(); }
