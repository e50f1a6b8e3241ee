// Task creation: a fresh PML4 sharing the kernel half, ELF segments mapped
// with exactly their rights, a user stack above an unmapped guard page, and a
// kernel stack prepared so the first switch lands at CPL3; and the release
// of all of it when the task ends.
#include "task/task.hpp"

#include <cstring>

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/gdt.hpp"
#include "arch/x86_64/percpu.hpp"
#include "arch/x86_64/smp.hpp"
#include "log.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "panic.hpp"
#include "platform/platform.hpp"
#include "task/linux.hpp"
#include "task/sched.hpp"
#include "warden/elf.hpp"
#include "warden/spinlock.hpp"

extern "C" void enter_user_first_time();

namespace warden::task {
namespace {

constexpr size_t kMaxTasks = 64;
constexpr uint64_t kStackTop = 0x7fff00000000;  // user stack, grows down
constexpr uint64_t kStackPages = 4;
constexpr uint64_t kDmaBase = 0x20000000;  // DMA buffers
constexpr unsigned kKernelStackPages = 4;

Task* tasks[kMaxTasks];
Task storage[kMaxTasks];
size_t task_count = 0;
SpinLock tasks_lock;

void charge(Task& t, uint64_t frames) { t.frames_charged.fetch_add(frames, std::memory_order_relaxed); }
void credit(Task& t, uint64_t frames) { t.frames_returned.fetch_add(frames, std::memory_order_relaxed); }

// A task's table frames, charged to it.
class TaskTables final : public mm::TableMemory {
public:
    Task* task = nullptr;
    uint64_t* table(PhysAddr f) override { return mm::phys_to_virt<uint64_t>(f); }
    Result<PhysAddr> alloc_table() override {
        auto f = mm::alloc_zeroed(0, mm::FrameState::kPageTable);
        if (f) charge(*task, 1);
        return f;
    }
    void free_table(PhysAddr f) override {
        mm::free_frames(f, 0);
        credit(*task, 1);
    }
};
TaskTables task_tables[kMaxTasks];  // one per storage slot

mm::Mapper mapper_of(Task& t) {
    return mm::Mapper(t.pml4, task_tables[&t - storage], nullptr, mm::kernel_mapper().c_bit());
}

// Several request loops change the same tasks' tables (splitting the same
// 2 MiB page): one at a time. Callers run with interrupts on, so CPUs
// waiting here still answer the shootdown in set_guest_page_access; the
// release of a guest task's tables, with interrupts off, waits with a
// ShootdownSafeGuard.
SpinLock guest_map_lock;

Result<void> map_segment(Task& t, std::span<const uint8_t> image, const elf::Segment& s) {
    const uint64_t lo = align_down(s.vaddr, kPageSize), hi = align_up(s.vaddr + s.memsz, kPageSize);
    const mm::MapFlags flags{.writable = s.writable, .executable = s.executable, .user = true, .owned = true};
    mm::Mapper m = mapper_of(t);
    for (uint64_t va = lo; va < hi; va += kPageSize) {
        WARDEN_TRY(frame, mm::alloc_zeroed(0));
        charge(t, 1);
        // The part of the file that lands in this page.
        auto* dst = mm::phys_to_virt<uint8_t>(frame);
        const uint64_t file_lo = s.vaddr, file_hi = s.vaddr + s.filesz;
        const uint64_t copy_lo = va > file_lo ? va : file_lo,
                       copy_hi = va + kPageSize < file_hi ? va + kPageSize : file_hi;
        if (copy_hi > copy_lo)
            std::memcpy(dst + (copy_lo - va), image.data() + s.offset + (copy_lo - s.vaddr), copy_hi - copy_lo);
        WARDEN_TRY_VOID(m.map(VirtAddr(va), frame, kPageSize, flags));
    }
    return {};
}

}  // namespace

bool Task::may_use_port(uint16_t port, unsigned width) const {
    for (const abi::PortRange& r : ports) {
        if (port >= r.base && uint32_t{port} + width <= uint32_t{r.base} + r.count) return true;
    }
    return false;
}

Result<Task*> create_task(std::span<const uint8_t> image, const abi::Manifest& manifest, unsigned cpu) {
    const bool linux = manifest.flags & abi::kManifestLinux;
    const uint64_t stack_pages = linux ? kLinuxStackPages : kStackPages;
    WARDEN_TRY(elf_image, elf::parse(image, abi::kTaskBase, kStackTop - (stack_pages + 1) * kPageSize));
    Task* t = nullptr;
    {
        LockGuard guard(tasks_lock);
        if (task_count == kMaxTasks) return Fail(Error::kNoMemory);
        t = &storage[task_count];
        tasks[task_count] = t;
        t->id = static_cast<uint32_t>(++task_count);
    }
    task_tables[t - storage].task = t;
    std::memcpy(t->name, manifest.name, sizeof t->name);
    t->flags = linux ? static_cast<uint8_t>(manifest.flags | abi::kManifestVector) : manifest.flags;
    sched::init_vector_state(*t);
    for (size_t i = 0; i < abi::kMaxPortRanges; ++i) t->ports[i] = manifest.ports[i];
    t->cpu = cpu;
    t->dma_next = kDmaBase;
    t->created_tsc = arch::rdtsc();

    // The kernel half (PML4 slots 256..511) is shared by copying its entries:
    // those slots' tables are never freed (docs/tasks.md).
    WARDEN_TRY(pml4, mm::alloc_zeroed(0, mm::FrameState::kPageTable));
    charge(*t, 1);
    t->pml4 = pml4;
    const auto* kernel = mm::phys_to_virt<uint64_t>(mm::kernel_mapper().root());
    auto* mine = mm::phys_to_virt<uint64_t>(pml4);
    for (unsigned i = 256; i < 512; ++i) mine[i] = kernel[i];

    for (size_t i = 0; i < elf_image.count; ++i) WARDEN_TRY_VOID(map_segment(*t, image, elf_image.segments[i]));
    // User stack; the page below it stays unmapped (guard).
    WARDEN_TRY_VOID(map_task_pages(*t, kStackTop - stack_pages * kPageSize, stack_pages));
    uint64_t user_rsp = kStackTop;
    if (linux) {  // argc, argv, auxv in the top page
        WARDEN_TRY(top, mapper_of(*t).translate(VirtAddr(kStackTop - kPageSize)));
        WARDEN_TRY(rsp, linux_prepare(*t, elf_image, kStackTop, top.phys));
        user_rsp = rsp;
    }

    WARDEN_TRY(kstack, mm::allocate_stack(t->name, cpu, kKernelStackPages));
    t->kernel_stack = kstack;  // not charged: it is never returned (release_task_memory)
    // switch_context pops r15..rbp and returns to enter_user_first_time, which
    // IRETs with this frame.
    auto* sp = reinterpret_cast<uint64_t*>(kstack.top.raw());
    *--sp = arch::kUserDataSelector;  // SS
    *--sp = user_rsp;                 // RSP
    *--sp = 0x202;                    // RFLAGS: IF
    *--sp = arch::kUserCodeSelector;  // CS
    *--sp = elf_image.entry;          // RIP
    *--sp = reinterpret_cast<uint64_t>(&enter_user_first_time);
    for (int i = 0; i < 6; ++i) *--sp = 0;  // rbp, rbx, r12..r15
    t->saved_rsp = reinterpret_cast<uint64_t>(sp);
    t->state = State::kReady;
    return t;
}

Result<void> check_task_range(Task& t, uint64_t va, size_t len, bool writable) {
    if (va < abi::kTaskBase || len == 0 || len > abi::kTaskTop || va > abi::kTaskTop - len) {
        return Fail(Error::kInvalidArgument);
    }
    // Guest memory mapped into a task is out of the kernel's direct map: a
    // copy through it would fault the kernel. Such pointers are refused.
    if (va < abi::kGuestMapBase + abi::kGuestMapSize && va + len > abi::kGuestMapBase) {
        return Fail(Error::kInvalidArgument);
    }
    mm::Mapper m = mapper_of(t);
    for (uint64_t p = align_down(va, kPageSize); p < va + len; p += kPageSize) {
        auto tr = m.translate(VirtAddr(p));
        if (!tr || !tr->flags.user || (writable && !tr->flags.writable)) return Fail(Error::kInvalidArgument);
    }
    return {};
}

namespace {
// Calls f(kernel pointer, bytes) for each page-sized piece of a range that
// check_task_range has accepted: the direct-map alias of the task's frames.
template <typename F>
void for_each_piece(Task& t, uint64_t va, size_t len, F&& f) {
    mm::Mapper m = mapper_of(t);
    while (len > 0) {
        const auto tr = m.translate(VirtAddr(va));
        const size_t room = kPageSize - (va & (kPageSize - 1));
        const size_t n = room < len ? room : len;
        f(mm::phys_to_virt(tr->phys), n);
        va += n;
        len -= n;
    }
}
}  // namespace

Result<void> copy_from_task(Task& t, uint64_t va, void* out, size_t len) {
    if (len == 0) return {};
    WARDEN_TRY_VOID(check_task_range(t, va, len, false));
    auto* dst = static_cast<uint8_t*>(out);
    for_each_piece(t, va, len, [&](void* p, size_t n) {
        std::memcpy(dst, p, n);
        dst += n;
    });
    return {};
}

Result<void> copy_to_task(Task& t, uint64_t va, const void* in, size_t len) {
    if (len == 0) return {};
    WARDEN_TRY_VOID(check_task_range(t, va, len, true));  // all of it first: a failed copy changes nothing
    const auto* src = static_cast<const uint8_t*>(in);
    for_each_piece(t, va, len, [&](void* p, size_t n) {
        std::memcpy(p, src, n);
        src += n;
    });
    return {};
}

Result<void> map_task_pages(Task& t, uint64_t va, uint64_t pages) {
    if (!is_aligned(va, kPageSize) || va < abi::kTaskBase || pages > (abi::kTaskTop - va) / kPageSize)
        return Fail(Error::kOutOfRange);
    mm::Mapper m = mapper_of(t);
    for (uint64_t i = 0; i < pages; ++i) {
        WARDEN_TRY(frame, mm::alloc_zeroed(0));
        charge(t, 1);
        if (auto r = m.map(VirtAddr(va + i * kPageSize), frame, kPageSize,
                           mm::MapFlags{.writable = true, .user = true, .owned = true});
            !r) {
            mm::free_frames(frame, 0);
            credit(t, 1);
            return r;
        }
    }
    return {};
}

Result<void> protect_task_pages(Task& t, uint64_t va, uint64_t len, bool read_only) {
    if (!is_aligned(va, kPageSize) || va < abi::kTaskBase || len > abi::kTaskTop - va) return Fail(Error::kNotFound);
    mm::Mapper m = mapper_of(t);
    for (uint64_t p = va; p < va + len; p += kPageSize) {
        auto tr = m.translate(VirtAddr(p));
        if (!tr || !tr->flags.user || !tr->flags.owned) return Fail(Error::kNotFound);
        if (tr->flags.executable) return Fail(Error::kDenied);
        if (!read_only && !tr->flags.writable) return Fail(Error::kDenied);  // rights never grow
    }
    if (!read_only) return {};
    WARDEN_TRY_VOID(m.protect(VirtAddr(va), len, mm::MapFlags{.user = true, .owned = true}));
    for (uint64_t p = va; p < va + len; p += kPageSize) arch::invlpg(p);
    return {};
}

Result<void> copy_between_tasks(Task& from, uint64_t from_va, Task& to, uint64_t to_va, size_t len) {
    if (len == 0) return {};
    WARDEN_TRY_VOID(check_task_range(from, from_va, len, false));
    WARDEN_TRY_VOID(check_task_range(to, to_va, len, true));
    for_each_piece(from, from_va, len, [&](void* p, size_t n) {
        (void)copy_to_task(to, to_va, p, n);  // checked above
        to_va += n;
    });
    return {};
}

Result<uint64_t> map_dma_buffer(Task& t, uint64_t pages, PhysAddr& phys_out) {
    if (pages == 0 || pages > 16) return Fail(Error::kInvalidArgument);  // at most 64 KiB
    const unsigned order = mm::BuddyAllocator::order_for_bytes(pages * kPageSize);
    PhysRange* record = nullptr;
    for (PhysRange& d : t.dma) {
        if (d.size == 0 && record == nullptr) record = &d;
    }
    if (record == nullptr) return Fail(Error::kBusy);
    WARDEN_TRY(frames, mm::alloc_zeroed(order));
    // A device reads and writes it: shared with the hypervisor (SNP), mapped
    // with the C-bit clear (not owned: release_task_memory frees it from
    // t.dma, with its order, after making it private again).
    WARDEN_TRY_VOID(platform::current().make_shared(frames, uint64_t{1} << order));
    charge(t, uint64_t{1} << order);
    const uint64_t va = t.dma_next;
    mm::Mapper m = mapper_of(t);
    WARDEN_TRY_VOID(m.map(VirtAddr(va), frames, kPageSize << order,
                          mm::MapFlags{.writable = true, .user = true, .encrypted = false}));
    t.dma_next += (kPageSize << order) + kPageSize;  // and an unmapped page between buffers
    // Base first, then the size with release: kDmaCheck on another CPU reads
    // the size with acquire and never sees a size with a stale base.
    record->base = frames;
    __atomic_store_n(&record->size, kPageSize << order, __ATOMIC_RELEASE);
    phys_out = frames;
    return va;
}

Result<void> map_shared(Task& t, uint64_t va, PhysAddr frames, uint64_t bytes) {
    mm::Mapper m = mapper_of(t);
    return m.map(VirtAddr(va), frames, bytes, mm::MapFlags{.writable = true, .user = true});
}

Result<void> map_guest_memory(Task& t, PhysRange gpa, PhysAddr backing) {
    mm::Mapper m = mapper_of(t);
    const bool large = gpa.base.is_aligned(kLargePageSize) && backing.is_aligned(kLargePageSize) &&
                       is_aligned(gpa.size, kLargePageSize);
    return m.map(VirtAddr(abi::kGuestMapBase + gpa.base.raw()), backing, gpa.size,
                 mm::MapFlags{.writable = true, .user = true}, large ? mm::PageSize::k2M : mm::PageSize::k4K);
}

Result<void> set_guest_page_access(PhysAddr gpa, PhysAddr backing, bool present) {
    const VirtAddr va(abi::kGuestMapBase + gpa.raw());
    LockGuard guard(guest_map_lock);
    for (Task* t : all_tasks()) {
        if (!(t->flags & abi::kManifestGuest) || t->pml4 == PhysAddr{}) continue;  // released: ended
        mm::Mapper m = mapper_of(*t);
        if (present)
            WARDEN_TRY_VOID(m.map(va, backing, kPageSize, mm::MapFlags{.writable = true, .user = true}));
        else
            WARDEN_TRY_VOID(m.unmap(va, kPageSize));
    }
    arch::invlpg(va.raw());
    arch::smp::shootdown_where(va, [](unsigned cpu) {
        return (arch::cpu(cpu).task_flags.load(std::memory_order_seq_cst) & abi::kManifestGuest) != 0;
    });
    return {};
}

namespace {

// A DMA buffer goes back private (SNP) before the allocator may hand it to
// the kernel; one the hypervisor will not take back is kept out of use.
void release_dma(Task& t) {
    for (PhysRange& d : t.dma) {
        // kDmaCheck refuses the range from here on. A driver that checked it
        // before may still be moving data (a client whose call timed out
        // ended meanwhile): docs/tasks.md names that window.
        const uint64_t size = __atomic_exchange_n(&d.size, 0, __ATOMIC_ACQ_REL);
        if (size == 0) continue;
        const uint64_t frames = size / kPageSize;
        if (auto r = platform::current().make_private(d.base, frames); !r) {
            log::warn("tasks: {}: DMA buffer {} stays shared ({}): not reclaimed", t.name, d.base, r.error());
            continue;
        }
        mm::free_frames(d.base, mm::BuddyAllocator::order_for_bytes(size));
        credit(t, frames);
    }
}

// Owned and borrowed frames are told apart by the leaf's own kOwned bit
// (MapFlags::owned), set where the task's frames are allocated (map_segment,
// the user stack). Everything else a task maps only borrows: the log ring,
// guest memory, DMA buffers (freed from t.dma with their order). The mark
// travels with the mapping, so a new kind of mapping is borrowed unless it
// says otherwise: a mistake leaks a frame rather than freeing someone
// else's. Fixed address ranges would tie this to today's layout, and a
// per-task list of frames would need room for every page of an image.
void release_address_space(Task& t) {
    mm::Mapper m = mapper_of(t);
    m.release_slots(0, 256, [&](VirtAddr, const mm::Translation& leaf) {
        if (!leaf.flags.owned) return;
        mm::free_frames(leaf.phys, 0);
        credit(t, 1);
    });
    mm::free_frames(t.pml4, 0);  // slots 256..511 are copies: the kernel half's tables stay
    credit(t, 1);
    t.pml4 = PhysAddr{};
}

}  // namespace

void release_task_memory(Task& t) {
    if (t.idle || t.pml4 == PhysAddr{}) return;
    const uint64_t loaded = arch::read_cr3() & mm::pte::kAddressMask & ~mm::kernel_mapper().c_bit();
    if (loaded == t.pml4.raw()) panic("tasks: {}: its tables are released while loaded", t.name);
    release_dma(t);
    if (t.flags & abi::kManifestGuest) {
        // set_guest_page_access changes every guest task's tables: not these.
        arch::smp::ShootdownSafeGuard guard(guest_map_lock);
        release_address_space(t);
    } else {
        release_address_space(t);
    }
}

std::span<Task* const> all_tasks() { return {tasks, task_count}; }

Task* task_by_id(uint32_t id) {
    for (Task* t : all_tasks()) {
        if (t->id == id) return t;
    }
    return nullptr;
}

bool task_ended(void* task) {
    const auto* t = static_cast<const Task*>(task);
    return t->state == State::kExited || t->state == State::kFaulted;
}

bool task_reclaimed(void* task) { return task_ended(task) && static_cast<const Task*>(task)->frames_held() == 0; }

Task* find_task(std::string_view name) {
    for (Task* t : all_tasks()) {
        if (std::string_view(t->name) == name) return t;
    }
    return nullptr;
}

}  // namespace warden::task
