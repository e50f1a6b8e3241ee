// In-kernel timings of the same memory operations as bench/mm_bench.cpp, in
// TSC cycles per operation (QEMU-FACTS: TSC deltas under TCG or nested KVM are
// not hardware cycles). Each case checks its operation succeeded, so a broken
// path fails the run instead of timing nothing.
#include "arch/x86_64/cpu.hpp"
#include "boot/boot_info.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/heap.hpp"
#include "mm/layout.hpp"
#include "test/ktest.hpp"

using namespace warden;

namespace {
// bench.iterations=N on the command line: this machine's nested KVM takes
// ~10 us per memory access, so tools/bench_mm.py asks for fewer there.
uint64_t iterations() { return boot::info().cmdline.number("bench.iterations").value_or(10000); }

void report(const char* what, uint64_t cycles) { log::raw("bench: {} {} cycles/op", what, cycles / iterations()); }
}  // namespace

KTEST("bench: frame alloc+free (order 0)") {
    bool ok = true;
    const uint64_t n = iterations();
    const uint64_t t0 = arch::rdtsc();
    for (uint64_t i = 0; i < n; ++i) {
        auto f = mm::alloc_frames(0);
        ok = ok && f.ok();
        if (f) mm::free_frames(*f, 0);
    }
    report("frame_alloc_free", arch::rdtsc() - t0);
    KCHECK(ok);
}

KTEST("bench: slab alloc+free (64 B)") {
    bool ok = true;
    void* warm = mm::kernel_heap().alloc(64).value_or(nullptr);
    const uint64_t n = iterations();
    const uint64_t t0 = arch::rdtsc();
    for (uint64_t i = 0; i < n; ++i) {
        auto p = mm::kernel_heap().alloc(64);
        ok = ok && p.ok() && mm::kernel_heap().free(*p).ok();
    }
    report("slab_alloc_free_64", arch::rdtsc() - t0);
    KCHECK((ok && mm::kernel_heap().free(warm).ok()));
}

KTEST("bench: map+unmap (4 KiB, with invlpg)") {
    bool ok = true;
    auto frame = mm::alloc_frames(0);
    KCHECK(frame.ok());
    if (!frame) return;
    const VirtAddr va(mm::kWindowsBase);
    const uint64_t n = iterations();
    const uint64_t t0 = arch::rdtsc();
    for (uint64_t i = 0; i < n; ++i) {
        ok = ok && mm::kernel_mapper().map(va, *frame, kPageSize, mm::MapFlags{.writable = true}).ok();
        ok = ok && mm::kernel_mapper().unmap(va, kPageSize).ok();
    }
    report("map_unmap_4k", arch::rdtsc() - t0);
    mm::free_frames(*frame, 0);
    KCHECK(ok);
}

KTEST("bench: translate") {
    uint64_t sum = 0;
    const uint64_t n = iterations();
    const uint64_t t0 = arch::rdtsc();
    for (uint64_t i = 0; i < n; ++i) {
        auto t = mm::kernel_mapper().translate(VirtAddr(mm::kDirectMapBase + (uint64_t(i % 512) << 12) + (2 << 20)));
        sum += t ? t->phys.raw() : 0;
    }
    report("translate", arch::rdtsc() - t0);
    KCHECK(sum != 0);
}
