// Test service (issue 18, reclaim): holds memory of every kind a task owns —
// image pages, a large bss, its stack, a DMA buffer — next to the kernel's
// queue, then waits for the kernel's word and exits, so a boot test can
// measure what comes back. Pinned to the BSP, where that test runs.
#include "service.hpp"

WARDEN_SERVICE_MANIFEST(.name = "reclaim", .serves = "reclaim", .uses = {}, .ports = {}, .cpu = 0);

namespace {
volatile uint8_t bss[64 * 1024];  // 16 frames, mapped (and owned) from creation
}

extern "C" int64_t service_main() {
    for (size_t i = 0; i < sizeof bss; i += 4096) bss[i] = 1;
    uint64_t phys = 0;
    if (svc::dma_buffer(3, &phys) <= 0) return 1;  // an order-2 block: 4 frames
    svc::Message m;
    while (svc::receive(0, m) != 0) {
    }
    return 0;
}
