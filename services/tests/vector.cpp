// Test service, built twice (test-vector-a, -b: VECTOR_TAG 1 and 2), both
// kManifestVector and pinned to CPU 1: each loads XMM0..15 and MXCSR with a
// pattern of its own and points FS.base at a block of its own, then yields
// kRounds times, the other running between, and after each yield checks that
// its registers, MXCSR and %fs:0x28 are still its own. Exit code: the
// number of rounds that found something else.
#include "service.hpp"

#ifndef VECTOR_TAG
#error "VECTOR_TAG: 1 or 2"
#endif
#define VECTOR_NAME2(t) "vector-" #t
#define VECTOR_NAME(t) VECTOR_NAME2(t)

WARDEN_SERVICE_MANIFEST(.name = VECTOR_NAME(VECTOR_TAG), .serves = "", .uses = {}, .ports = {}, .cpu = 1,
                        .flags = warden::abi::kManifestVector);

namespace {

constexpr uint64_t kRounds = 300;
constexpr uint64_t kTag = VECTOR_TAG;
// Rounding mode in MXCSR bits 14:13: down for a, up for b; every exception masked.
constexpr uint32_t kMxcsr = 0x1f80 | static_cast<uint32_t>(kTag) << 13;

struct alignas(16) Registers {
    uint64_t q[32];
};

// What the canary block of a glibc-built library looks like: +0x28 is read.
struct alignas(64) FsBlock {
    uint64_t self, unused[4], canary;
} fs_block;

// The service itself is built -mgeneral-regs-only: it touches the vector
// unit only here, naming no SSE register to the compiler.
void load(const Registers& r) {
    asm volatile(
        "movdqa 0x00(%0), %%xmm0\n movdqa 0x10(%0), %%xmm1\n movdqa 0x20(%0), %%xmm2\n movdqa 0x30(%0), %%xmm3\n"
        "movdqa 0x40(%0), %%xmm4\n movdqa 0x50(%0), %%xmm5\n movdqa 0x60(%0), %%xmm6\n movdqa 0x70(%0), %%xmm7\n"
        "movdqa 0x80(%0), %%xmm8\n movdqa 0x90(%0), %%xmm9\n movdqa 0xa0(%0), %%xmm10\n movdqa 0xb0(%0), %%xmm11\n"
        "movdqa 0xc0(%0), %%xmm12\n movdqa 0xd0(%0), %%xmm13\n movdqa 0xe0(%0), %%xmm14\n movdqa 0xf0(%0), %%xmm15\n"
        "ldmxcsr %1" ::"r"(r.q), "m"(kMxcsr)
        : "memory");
}
void store(Registers& r, uint32_t& mxcsr) {
    asm volatile(
        "movdqa %%xmm0, 0x00(%1)\n movdqa %%xmm1, 0x10(%1)\n movdqa %%xmm2, 0x20(%1)\n movdqa %%xmm3, 0x30(%1)\n"
        "movdqa %%xmm4, 0x40(%1)\n movdqa %%xmm5, 0x50(%1)\n movdqa %%xmm6, 0x60(%1)\n movdqa %%xmm7, 0x70(%1)\n"
        "movdqa %%xmm8, 0x80(%1)\n movdqa %%xmm9, 0x90(%1)\n movdqa %%xmm10, 0xa0(%1)\n movdqa %%xmm11, 0xb0(%1)\n"
        "movdqa %%xmm12, 0xc0(%1)\n movdqa %%xmm13, 0xd0(%1)\n movdqa %%xmm14, 0xe0(%1)\n movdqa %%xmm15, 0xf0(%1)\n"
        "stmxcsr %0"
        : "=m"(mxcsr)
        : "r"(r.q)
        : "memory");
}
uint64_t fs_canary() {
    uint64_t v;
    asm volatile("mov %%fs:0x28, %0" : "=r"(v));
    return v;
}

}  // namespace

extern "C" int64_t service_main() {
    Registers want, got;
    for (uint64_t i = 0; i < 32; ++i) want.q[i] = (kTag << 56) ^ (0x9e3779b97f4a7c15 * (i + 1));
    fs_block.self = reinterpret_cast<uint64_t>(&fs_block);
    fs_block.canary = 0xc0ffee00 + kTag;
    if (svc::syscall(warden::abi::Sys::kSetFsBase, fs_block.self) != 0) {
        svc::log("kSetFsBase refused a task address");
        return static_cast<int64_t>(kRounds);
    }
    const bool refused = svc::syscall(warden::abi::Sys::kSetFsBase, warden::abi::kTaskTop) ==
                         -static_cast<int64_t>(warden::Error::kOutOfRange);
    load(want);
    int64_t bad = refused ? 0 : 1;
    for (uint64_t round = 0; round < kRounds; ++round) {
        (void)svc::yield();
        uint32_t mxcsr = 0;
        store(got, mxcsr);
        bool same = mxcsr == kMxcsr && fs_canary() == fs_block.canary;
        for (uint64_t i = 0; i < 32; ++i) same &= got.q[i] == want.q[i];
        if (!same) ++bad;
    }
    svc::log("{} yields: {} rounds found another's vector state or FS.base; kernel-half FS.base refused: {}", kRounds,
             bad - (refused ? 0 : 1), refused ? "yes" : "no");
    return bad;
}
