// Per-CPU guest windows: one 4 KiB slot per CPU in a 2 MiB-aligned range
// whose page table stays (the last slot anchors it with a read-only
// mapping); and one 2 MiB-aligned slot, in the next page table, for the
// instructions on 2 MiB pages, used by one CPU at a time.
#include "platform/guest_window.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/percpu.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "platform/platform.hpp"
#include "warden/spinlock.hpp"

namespace warden::platform {
namespace {

constexpr uint64_t kWindowBase = mm::kWindowsBase + 0x200000;
constexpr unsigned kAnchorSlot = 511;
static_assert(arch::kMaxCpus <= kAnchorSlot);
constexpr uint64_t kInterruptFlag = 1u << 9;

constexpr uint64_t kLargeWindow = kWindowBase + 0x200000;  // its page table's slot 0

uint64_t* window_slot[arch::kMaxCpus];
uint64_t* large_slot = nullptr;
SpinLock large_lock;  // taken with interrupts off

const GuestRegion* region_of(PhysAddr gpa) {
    for (const GuestRegion& g : current().guest_regions()) {
        if (g.gpa.contains(gpa)) return &g;
    }
    return nullptr;
}

}  // namespace

GuestWindow::GuestWindow(PhysAddr gpa, WindowFor use) {
    const GuestRegion* g = region_of(gpa);
    const bool large = use == WindowFor::kLargePage;
    if (g == nullptr || (large && !gpa.is_aligned(kLargePageSize))) {
        error_ = Error::kOutOfRange;
        return;
    }
    interrupts_ = arch::read_rflags() & kInterruptFlag;
    arch::cli();
    const unsigned cpu = arch::this_cpu().index;
    uint64_t* slot = large ? large_slot : window_slot[cpu];
    if (slot == nullptr) {
        if (interrupts_) arch::sti();
        error_ = Error::kBusy;
        return;
    }
    if (large) large_lock.lock();
    shared_ = large;
    va_ = large ? kLargeWindow : kWindowBase + cpu * kPageSize;
    *slot = mm::kernel_mapper().leaf_entry(g->backing_of(gpa.align_down(kPageSize)), mm::MapFlags{.writable = true});
    arch::invlpg(va_);
    slot_ = slot;
}

GuestWindow::~GuestWindow() {
    if (slot_ == nullptr) return;
    *slot_ = 0;
    arch::invlpg(va_);  // each user flushes its own TLB: no CPU keeps a stale entry
    if (shared_) large_lock.unlock();
    if (interrupts_) arch::sti();
}

Result<void> init_guest_windows() {
    WARDEN_TRY(anchor, mm::alloc_zeroed(0));
    WARDEN_TRY_VOID(
        mm::kernel_mapper().map(VirtAddr(kWindowBase + kAnchorSlot * kPageSize), anchor, kPageSize, mm::MapFlags{}));
    for (unsigned i = 0; i < arch::kMaxCpus; ++i) {
        WARDEN_TRY(slot, mm::kernel_mapper().leaf_slot(VirtAddr(kWindowBase + i * kPageSize)));
        window_slot[i] = slot;
    }
    WARDEN_TRY_VOID(
        mm::kernel_mapper().map(VirtAddr(kLargeWindow + kAnchorSlot * kPageSize), anchor, kPageSize, mm::MapFlags{}));
    WARDEN_TRY(large, mm::kernel_mapper().leaf_slot(VirtAddr(kLargeWindow)));
    large_slot = large;
    return {};
}

}  // namespace warden::platform
