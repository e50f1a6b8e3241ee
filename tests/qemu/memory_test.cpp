// Boot tests for the frame allocator, heap, kernel address space and the
// fault reports that protect it (issue 4).
#include "arch/x86_64/fault_recovery.hpp"
#include "boot/boot_info.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/heap.hpp"
#include "mm/layout.hpp"
#include "mm/stacks.hpp"
#include "test/ktest.hpp"

using namespace warden;

namespace {

// A const object lands in .rodata (a volatile one would not). Its address is
// passed through a volatile integer so the compiler cannot see what it
// points to and has to emit the forbidden store.
[[gnu::used]] const uint64_t read_only_word = 0x0123456789abcdef;
volatile uintptr_t read_only_address = reinterpret_cast<uintptr_t>(&read_only_word);
uint64_t writable_word = 1;

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

void write_read_only(void*) { *reinterpret_cast<volatile uint64_t*>(read_only_address) = 0; }

void execute(void* code) { reinterpret_cast<void (*)()>(code)(); }

// Each frame keeps a live local so the compiler cannot turn this into a loop.
[[gnu::noinline]] uint64_t recurse(uint64_t depth) {
    volatile char pad[256];
    pad[0] = static_cast<char>(depth);
    if (depth > 1'000'000) return 0;  // 256 MB of frames: far past any guard page
    return recurse(depth + 1) + pad[0];
}
void overflow(void*) { (void)recurse(0); }

mm::Stack overflow_stack;
void overflow_on_test_stack(void*) { arch::call_on_stack(overflow, nullptr, overflow_stack.top.raw()); }

}  // namespace

KTEST("paging: a write through a read-only mapping faults and is reported") {
    arch::FaultReport r;
    KCHECK(arch::run_catching_faults(write_read_only, nullptr, r));
    KCHECK(r.vector == 14);
    KCHECK(r.cr2 == reinterpret_cast<uint64_t>(&read_only_word));
    KCHECK(contains(r.view(), "page fault (#PF, vector 14)"));
    KCHECK(contains(r.view(), "[write, protection violation, supervisor]"));
    KCHECK(*reinterpret_cast<volatile uint64_t*>(read_only_address) == 0x0123456789abcdef);
}

KTEST("paging: executing from the heap faults (NX)") {
    auto* code = new unsigned char[64];
    code[0] = 0xc3;  // ret
    arch::FaultReport r;
    KCHECK(arch::run_catching_faults(execute, code, r));
    KCHECK(r.vector == 14);
    KCHECK(r.cr2 == reinterpret_cast<uint64_t>(code));
    KCHECK(contains(r.view(), "[instruction fetch, protection violation, supervisor]"));
    delete[] code;
}

KTEST("paging: overflowing a kernel stack is a guard-page hit, not a triple fault") {
    auto s = mm::allocate_stack("ktest-overflow", 0, 2);
    KCHECK(s.ok());
    if (!s) return;
    overflow_stack = *s;
    arch::FaultReport r;
    KCHECK(arch::run_catching_faults(overflow_on_test_stack, nullptr, r));
    KCHECK(r.cr2 >= s->guard.raw() && r.cr2 < s->bottom.raw());
    KCHECK(contains(r.view(), "stack guard page hit (cpu 0, stack ktest-overflow)"));
    KCHECK(r.vector == 8);  // the #PF could not be delivered on the full stack
}

KTEST("paging: image sections carry their rights") {
    auto& m = mm::kernel_mapper();
    const auto text = m.translate(VirtAddr(reinterpret_cast<uint64_t>(&recurse)));
    const auto rodata = m.translate(VirtAddr(reinterpret_cast<uint64_t>(&read_only_word)));
    const auto data = m.translate(VirtAddr(reinterpret_cast<uint64_t>(&writable_word)));
    KCHECK((text.ok() && rodata.ok() && data.ok()));
    if (!(text.ok() && rodata.ok() && data.ok())) return;
    KCHECK((text->flags.executable && !text->flags.writable));
    KCHECK((!rodata->flags.executable && !rodata->flags.writable));
    KCHECK((!data->flags.executable && data->flags.writable));
    KCHECK(text->phys == mm::image_phys(reinterpret_cast<const void*>(&recurse)));
}

KTEST("paging: the direct map covers RAM, is NX, and has no writable alias of code") {
    auto& m = mm::kernel_mapper();
    // A RAM page away from the image: 16 MiB natively; under IGVM, RAM is the
    // SVSM's memory (from 32 MiB, the image first), so its middle.
    const boot::BootInfo& info = boot::info();
    const PhysAddr probe = info.kind == boot::BootKind::kIgvm
                               ? (info.launch.svsm.base + info.launch.svsm.size / 2).align_down(kPageSize)
                               : PhysAddr(16 << 20);
    KCHECK(info.memory.is_ram(PhysRange{probe, kPageSize}));
    const auto ram = m.translate(VirtAddr(mm::kDirectMapBase + probe.raw()));
    KCHECK(ram.ok());
    if (ram) {
        KCHECK(ram->phys == probe);
        KCHECK((ram->flags.writable && !ram->flags.executable));
    }
    const uint64_t text_phys = mm::image_phys(reinterpret_cast<const void*>(&recurse)).raw();
    const auto alias = m.translate(VirtAddr(mm::kDirectMapBase + text_phys));
    KCHECK((alias.ok() && !alias->flags.writable && !alias->flags.executable));
    // Reserved memory is not in it.
    KCHECK(m.translate(VirtAddr(mm::kDirectMapBase + 0xfffc0000)).error() == Error::kNotMapped);
}

KTEST("paging: the boot identity map is gone") {
    KCHECK(mm::kernel_mapper().translate(VirtAddr(0x100000)).error() == Error::kNotMapped);
}

KTEST("audit: passes on the live tables") {
    const mm::AuditResult a = mm::audit_kernel_address_space();
    KCHECK(a.ok());
    KCHECK(a.leaves_4k + a.leaves_2m + a.leaves_1g > 0);
}

// Other CPUs' tasks allocate meanwhile (the guest-calls service does): the
// free-byte count and the double free are checked with the allocator held.
KTEST("frames: zeroed allocation, free, and double free detected") {
    auto f = mm::alloc_zeroed(1);
    KCHECK(f.ok());
    if (!f) return;
    const auto* p = mm::phys_to_virt<uint64_t>(*f);
    uint64_t any = 0;
    for (size_t i = 0; i < 2 * kPageSize / 8; ++i) any |= p[i];
    KCHECK(any == 0);
    mm::LockedFrames held;
    const uint64_t before = held.allocator().free_frames();
    KCHECK(held.allocator().free(*f, 1).ok());
    KCHECK(held.allocator().free_frames() == before + 2);
    KCHECK(held.allocator().free(*f, 1).error() == Error::kDoubleFree);
}

KTEST("heap: new and delete go through the slab heap") {
    const auto before = mm::kernel_heap().stats();
    auto* small = new uint64_t[4];
    auto* large = new char[10000];
    large[9999] = 1;  // used, so the new/delete pair cannot be elided
    KCHECK(mm::in_direct_map(small));
    KCHECK(mm::in_direct_map(large));
    KCHECK(mm::kernel_heap().stats().small_in_use == before.small_in_use + 1);
    KCHECK(mm::kernel_heap().stats().large_in_use == before.large_in_use + 1);
    delete[] small;
    delete[] large;
    KCHECK(mm::kernel_heap().stats().small_in_use == before.small_in_use);
    KCHECK(mm::kernel_heap().free(reinterpret_cast<void*>(mm::kDirectMapBase + (8 << 20))).error() == Error::kNotOwned);
}

KTEST("memory: the boot account adds up to the memory map's RAM") {
    const mm::BootMemoryAccount& a = mm::boot_account();
    const uint64_t owned = mm::frame_allocator().owned_frames() * kPageSize;
    KCHECK(a.ram == boot::info().memory.ram_bytes());
    KCHECK(a.low + a.image + a.frame_info + a.unaligned + owned == a.ram);
    KCHECK(mm::free_bytes() <= owned);
}
