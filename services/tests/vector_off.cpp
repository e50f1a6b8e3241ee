// Test service without kManifestVector, on the CPU of the two vector tests:
// its first SSE instruction must be #NM (the vector unit is off while it
// runs) and end it as a fault. Where the CPU ignores CR0.TS (this
// machine's kvm_pvm), it must read the init state, nobody's registers: it
// exits 0 when XMM0..15 are all zero, 1 otherwise.
#include "service.hpp"

WARDEN_SERVICE_MANIFEST(.name = "vector-off", .serves = "", .uses = {}, .ports = {}, .cpu = 1);

extern "C" int64_t service_main() {
    svc::log("about to read XMM0..15 without kManifestVector");
    for (int round = 0; round < 50; ++round) {
        uint64_t seen[32];
        asm volatile(
            "movdqu %%xmm0, 0x00(%0)\n movdqu %%xmm1, 0x10(%0)\n movdqu %%xmm2, 0x20(%0)\n movdqu %%xmm3, 0x30(%0)\n"
            "movdqu %%xmm4, 0x40(%0)\n movdqu %%xmm5, 0x50(%0)\n movdqu %%xmm6, 0x60(%0)\n movdqu %%xmm7, 0x70(%0)\n"
            "movdqu %%xmm8, 0x80(%0)\n movdqu %%xmm9, 0x90(%0)\n movdqu %%xmm10, 0xa0(%0)\n movdqu %%xmm11, 0xb0(%0)\n"
            "movdqu %%xmm12, 0xc0(%0)\n movdqu %%xmm13, 0xd0(%0)\n movdqu %%xmm14, 0xe0(%0)\n movdqu %%xmm15, 0xf0(%0)" ::"r"(seen)
            : "memory");
        for (uint64_t q : seen) {
            if (q != 0) {
                svc::log("still alive, and read {:#x}: another task's vector state", q);
                return 1;
            }
        }
        (void)svc::yield();  // the vector tasks run between
    }
    svc::log("still alive: the CPU ignores CR0.TS; 50 reads of XMM0..15 saw only the init state");
    return 0;
}
