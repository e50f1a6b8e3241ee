// Test service: writes to an unmapped address after a short wait. The kernel must stop
// and report it while every other task goes on.
#include "service.hpp"

WARDEN_SERVICE_MANIFEST(.name = "faulter", .serves = "", .uses = {}, .ports = {}, .cpu = warden::abi::kAnyCpu);

namespace {
volatile uintptr_t target = 0x10;  // unmapped; hidden from the optimiser
}

extern "C" int64_t service_main() {
    svc::log("about to write to address 0x10");
    *reinterpret_cast<volatile int*>(target) = 1;
    svc::log("still alive: the fault was not caught");
    return 1;
}
