// Guest memory, validation bookkeeping and vCPU records (see guest.hpp).
#include "svsm/guest.hpp"

#include <atomic>
#include <cstring>

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/percpu.hpp"
#include "log.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "platform/platform.hpp"
#include "task/task.hpp"
#include "warden/spinlock.hpp"
#include "warden/svsm/taken_pages.hpp"

namespace warden::guest {
namespace {

// The guest runs at VMPL2: VMPL1 stays free for a service at that level.
constexpr uint8_t kGuestVmpl = 2;
constexpr uint64_t kPages = (kNativeRam.size + kNativeFlash.size) / kPageSize;
// Per-CPU windows: one page each in a 2 MiB-aligned slot range whose page
// table stays (the last slot anchors it with a read-only mapping).
constexpr uint64_t kWindowBase = mm::kWindowsBase + 0x200000;
constexpr unsigned kAnchorSlot = 511;

Region region_table[3];
size_t region_count = 0;
SpinLock lock;  // the bookkeeping below
uint64_t valid_bits[kPages / 64];
std::atomic<uint64_t> mutation_count[arch::kMaxCpus];  // by the CPU whose request loop made the change
uint64_t* window_slot[arch::kMaxCpus];

// VMSA pages out of the guest's reach: being checked, or a live vCPU's.
svsm::TakenPages<arch::kMaxCpus> taken;
// The guest range each CPU is copying on the guest's behalf (empty: none).
// A copy is checked against `taken` when it starts; a page being taken
// waits until no copy that started before still covers it.
PhysRange copying[arch::kMaxCpus];

// Only per-vCPU request loops count: the BIOS loader's changes are not a vCPU's.
void count_mutation() {
    const arch::PerCpu& c = arch::this_cpu();
    if (c.task_flags.load(std::memory_order_relaxed) & abi::kManifestPerCpu)
        mutation_count[c.index].fetch_add(1, std::memory_order_relaxed);
}

// The region holding all of r, or null (r may not straddle two).
const Region* region_of(PhysRange r) {
    if (r.size == 0) return nullptr;
    for (size_t i = 0; i < region_count; ++i) {
        if (region_table[i].gpa.contains(r)) return &region_table[i];
    }
    return nullptr;
}

PhysAddr backing_of(const Region& g, PhysAddr gpa) { return g.backing + (gpa - g.gpa.base); }

// The page's index in valid_bits: regions one after another.
uint64_t page_index(PhysAddr gpa) {
    uint64_t before = 0;
    for (size_t i = 0; i < region_count; ++i) {
        if (region_table[i].gpa.contains(gpa)) return before + (gpa - region_table[i].gpa.base) / kPageSize;
        before += region_table[i].gpa.size / kPageSize;
    }
    return kPages;  // callers check the region first
}

bool bit(uint64_t i) { return valid_bits[i / 64] >> (i % 64) & 1; }
void set_bit(uint64_t i, bool v) {
    if (v)
        valid_bits[i / 64] |= uint64_t{1} << (i % 64);
    else
        valid_bits[i / 64] &= ~(uint64_t{1} << (i % 64));
}

// Maps page into this CPU's window (interrupts off), runs f(window), unmaps;
// f's answer is the result.
template <typename F>
Result<void> through_window(PhysAddr page, F&& f) {
    const uint64_t flags = arch::read_rflags();
    arch::cli();
    const unsigned cpu = arch::this_cpu().index;
    uint64_t* slot = window_slot[cpu];
    if (slot == nullptr) {
        if (flags & (1u << 9)) arch::sti();
        return Fail(Error::kBusy);
    }
    const uint64_t va = kWindowBase + cpu * kPageSize;
    *slot = mm::kernel_mapper().leaf_entry(page, mm::MapFlags{.writable = true});
    arch::invlpg(va);
    const Result<void> r = f(reinterpret_cast<uint8_t*>(va));
    *slot = 0;
    arch::invlpg(va);
    if (flags & (1u << 9)) arch::sti();
    return r;
}

template <typename F>
Result<void> copy_pages(PhysAddr gpa, size_t len, F&& f) {
    size_t done = 0;
    while (done < len) {
        const PhysAddr at = gpa + done;
        const size_t offset = at.page_offset();
        const size_t n = len - done < kPageSize - offset ? len - done : kPageSize - offset;
        const Region* g = region_of(PhysRange{at.align_down(kPageSize), kPageSize});
        if (g == nullptr) return Fail(Error::kOutOfRange);  // not after is_guest_memory; for the compiler
        WARDEN_TRY_VOID(through_window(backing_of(*g, at.align_down(kPageSize)),
                                       [&](uint8_t* w) { return f(w + offset, done, n); }));
        done += n;
    }
    return {};
}

// DESIGN 8's rule, the kernel's one test of it (under `lock`): kOutOfRange
// outside the guest's memory, kDenied on a page taken out of its hands.
Result<void> check_in_hands_locked(PhysRange r) {
    if (!is_guest_memory(r)) return Fail(Error::kOutOfRange);
    if (taken.any_in(r)) return Fail(Error::kDenied);
    return {};
}

// Every copy on the guest's behalf: the whole range is checked before the
// first byte moves (a refused copy changes nothing), and announced in
// `copying` in the same critical section, so a page taken after the check
// waits for the copy to end.
template <typename F>
Result<void> each_page(PhysAddr gpa, size_t len, F&& f) {
    const PhysRange r{gpa, len};
    const unsigned cpu = arch::this_cpu().index;  // a system call does not migrate
    {
        LockGuard guard(lock);
        WARDEN_TRY_VOID(check_in_hands_locked(r));
        copying[cpu] = r;
    }
    const Result<void> done = copy_pages(gpa, len, f);
    LockGuard guard(lock);
    copying[cpu] = PhysRange{};
    return done;
}

// Bounded: a copy moves at most abi::kMaxGuestCopy bytes and never blocks.
void wait_for_copies(PhysAddr page) {
    for (;;) {
        {
            LockGuard guard(lock);
            bool busy = false;
            for (const PhysRange& c : copying) busy = busy || c.overlaps(PhysRange{page, kPageSize});
            if (!busy) return;
        }
        arch::pause();
    }
}

Result<void> init_windows() {
    WARDEN_TRY(anchor, mm::alloc_zeroed(0));
    WARDEN_TRY_VOID(
        mm::kernel_mapper().map(VirtAddr(kWindowBase + kAnchorSlot * kPageSize), anchor, kPageSize, mm::MapFlags{}));
    for (unsigned i = 0; i < arch::kMaxCpus; ++i) {
        WARDEN_TRY(slot, mm::kernel_mapper().leaf_slot(VirtAddr(kWindowBase + i * kPageSize)));
        window_slot[i] = slot;
    }
    return {};
}

bool apic_online(uint32_t apic_id) {
    for (unsigned i = 0; i < arch::kMaxCpus; ++i) {
        if (arch::cpu(i).online.load() && arch::cpu(i).apic_id == apic_id) return true;
    }
    return false;
}

// Mapped back into the guest's tasks while still taken, and only then given
// back: once it is out of the table another CPU's CREATE_VCPU may take it,
// and a remap after that CPU's unmap would leave a live VMSA writable by the
// guest. Should the remap fail, the page stays taken (out of the guest's
// reach: the safe side).
Result<void> give_back_page(const Region& g, PhysAddr page) {
    WARDEN_TRY_VOID(task::set_guest_page_access(page, backing_of(g, page), true));
    LockGuard guard(lock);
    return taken.give_back(page);
}

// Recorded as taken first, so no check on the guest's behalf passes on it
// any more; then copies that passed before are waited out, and the page is
// unmapped from every task playing the guest. The Calling Area is checked in
// the same critical section: a refusal takes nothing. The page tables change
// outside the lock: unmapping shoots down other CPUs' TLBs, and a CPU
// spinning on the lock with interrupts off could not answer.
Result<void> take_vmsa(const Region& g, PhysAddr vmsa, PhysAddr caa) {
    {
        LockGuard guard(lock);
        WARDEN_TRY_VOID(check_in_hands_locked(PhysRange{caa, kPageSize}));
        WARDEN_TRY_VOID(taken.take(vmsa));  // kAlreadyMapped: already a VMSA, live or being checked
    }
    wait_for_copies(vmsa);
    if (auto r = task::set_guest_page_access(vmsa, backing_of(g, vmsa), false); !r) {
        (void)give_back_page(g, vmsa);  // remaps the tasks the loop had reached
        return r;
    }
    return {};
}

// The page is out of the guest's reach: what is read here is what the vCPU gets.
Result<void> check_and_make_live(const Region& g, PhysAddr vmsa) {
    uint8_t head[svsm::kVmsaCheckedBytes];
    WARDEN_TRY_VOID(through_window(backing_of(g, vmsa), [&](const uint8_t* w) {
        std::memcpy(head, w, sizeof head);
        return Result<void>{};
    }));
    if (!svsm::vmsa_fits_guest(head, vmpl(), sev_features())) return Fail(Error::kInvalidArgument);
    LockGuard guard(lock);
    WARDEN_TRY_VOID(taken.make_live(vmsa));
    count_mutation();
    return {};
}

}  // namespace

Result<void> init(const boot::BootInfo& info) {
    if (info.kind == boot::BootKind::kIgvm) return Fail(Error::kUnsupported);  // docs/svsm.md: not yet under SNP
    WARDEN_TRY_VOID(init_windows());
    // Blocks of at most 4 MiB (the buddy's largest), aligned to their size:
    // 2 MiB mappings of them stay possible.
    constexpr uint64_t kHalf = kNativeRam.size / 2;
    constexpr PhysRange kNative[] = {PhysRange{kNativeRam.base, kHalf}, PhysRange{kNativeRam.base + kHalf, kHalf},
                                     kNativeFlash};
    // All blocks first: a failure frees what was taken and leaves no region.
    Region built[3];
    unsigned orders[3] = {};
    for (size_t i = 0; i < 3; ++i) {
        orders[i] = mm::BuddyAllocator::order_for_bytes(kNative[i].size);
        auto block = mm::alloc_frames(orders[i]);
        if (!block) {
            for (size_t j = 0; j < i; ++j) mm::free_frames(built[j].backing, orders[j]);
            return Fail(block.error());
        }
        built[i] = Region{kNative[i], *block};
    }
    // Out of the direct map: from here the kernel reaches them only through a
    // window. (Should an unmap fail, for want of a page-table frame, the
    // blocks stay out of use: no region is published.)
    for (const Region& g : built) {
        WARDEN_TRY_VOID(
            mm::kernel_mapper().unmap(VirtAddr(reinterpret_cast<uint64_t>(mm::phys_to_virt(g.backing))), g.gpa.size));
    }
    for (const Region& g : built) {
        region_table[region_count++] = g;
        log::info("guest: {:#x}..{:#x} ({} KiB, native) backed by {:#x}, out of the direct map", g.gpa.base.raw(),
                  g.gpa.end().raw(), g.gpa.size / 1024, g.backing.raw());
    }
    return {};
}

std::span<const Region> regions() { return {region_table, region_count}; }
PhysRange memory() { return region_count == 3 ? kNativeRam : PhysRange{}; }
PhysRange flash() { return region_count == 3 ? kNativeFlash : PhysRange{}; }

// Regions may abut (RAM is two blocks): r may run from one into the next.
bool is_guest_memory(PhysRange r) {
    if (r.size == 0 || r.base + r.size < r.base) return false;
    PhysAddr at = r.base;
    while (at < r.end()) {
        const Region* g = region_of(PhysRange{at, 1});
        if (g == nullptr) return false;
        at = g->gpa.end();
    }
    return true;
}

bool in_guest_hands(PhysRange r) {
    LockGuard guard(lock);
    return check_in_hands_locked(r).ok();
}

Result<void> read(PhysAddr gpa, void* out, size_t len) {
    auto* dst = static_cast<uint8_t*>(out);
    return each_page(gpa, len, [&](const uint8_t* w, size_t done, size_t n) {
        std::memcpy(dst + done, w, n);
        return Result<void>{};
    });
}

Result<void> write(PhysAddr gpa, const void* in, size_t len) {
    const auto* src = static_cast<const uint8_t*>(in);
    return each_page(gpa, len, [&](uint8_t* w, size_t done, size_t n) {
        std::memcpy(w, src + done, n);
        return Result<void>{};
    });
}

// The task side is checked page by page by the task module's copies; a
// refused task address stops the copy with its error.
Result<void> read_to_task(task::Task& t, uint64_t buf, PhysAddr gpa, size_t len) {
    return each_page(gpa, len,
                     [&](const uint8_t* w, size_t done, size_t n) { return task::copy_to_task(t, buf + done, w, n); });
}

Result<void> write_from_task(task::Task& t, uint64_t buf, PhysAddr gpa, size_t len) {
    return each_page(gpa, len,
                     [&](uint8_t* w, size_t done, size_t n) { return task::copy_from_task(t, buf + done, w, n); });
}

// Native RMP model: 4 KiB pages flip their bit; a 2 MiB request needs all
// 512 bits alike (else the RMP would hold small pages: size mismatch). A
// page validated for the guest is zeroed first (DESIGN 8).
Result<svsm::PvalidateOutcome> pvalidate(PhysAddr page, bool huge, bool validate) {
    const uint64_t bytes = huge ? kLargePageSize : kPageSize;
    const Region* g = region_of(PhysRange{page, bytes});
    if (!page.is_aligned(bytes) || g == nullptr) return Fail(Error::kOutOfRange);
    LockGuard guard(lock);
    if (auto in_hands = check_in_hands_locked(PhysRange{page, bytes}); !in_hands) {
        return Fail(in_hands.error());  // a 2 MiB page holding a taken one too
    }
    const uint64_t first = page_index(page), n = bytes / kPageSize;
    uint64_t already = 0;
    for (uint64_t i = 0; i < n; ++i) already += bit(first + i) == validate;
    if (already == n) return svsm::PvalidateOutcome::kUnchanged;
    if (already != 0 && huge) return svsm::PvalidateOutcome::kSizeMismatch;
    for (uint64_t i = 0; i < n; ++i) {
        if (validate) {
            WARDEN_TRY_VOID(through_window(backing_of(*g, page + i * kPageSize), [](uint8_t* w) {
                std::memset(w, 0, kPageSize);
                return Result<void>{};
            }));
        }
        set_bit(first + i, validate);
    }
    count_mutation();
    return svsm::PvalidateOutcome::kChanged;
}

bool is_validated(PhysAddr page) {
    if (!is_guest_memory(PhysRange{page, kPageSize})) return false;
    LockGuard guard(lock);
    return bit(page_index(page));
}

// Take, check, make live: one kernel call, so nothing the request loop
// does can come between taking the page and checking it.
Result<void> create_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t apic_id) {
    if (!vmsa.is_aligned(kPageSize) || !caa.is_aligned(kPageSize) || vmsa == caa) return Fail(Error::kMisaligned);
    const Region* g = region_of(PhysRange{vmsa, kPageSize});
    if (g == nullptr || !is_guest_memory(PhysRange{caa, kPageSize})) return Fail(Error::kOutOfRange);
    if (!apic_online(apic_id)) return Fail(Error::kNotFound);
    WARDEN_TRY_VOID(take_vmsa(*g, vmsa, caa));
    auto r = check_and_make_live(*g, vmsa);
    if (!r) (void)give_back_page(*g, vmsa);
    return r;
}

Result<void> delete_vcpu(PhysAddr vmsa) {
    const Region* g = region_of(PhysRange{vmsa, kPageSize});
    if (g == nullptr) return Fail(Error::kOutOfRange);
    {
        LockGuard guard(lock);
        WARDEN_TRY_VOID(taken.end_live(vmsa));
    }
    return give_back_page(*g, vmsa);  // the page is the guest's again
}

PhysRange svsm_memory() { return boot::info().image; }
uint8_t vmpl() { return kGuestVmpl; }
uint64_t sev_features() { return 0; }  // native; on SNP the guest VMSA's features (not wired: docs/svsm.md)
PhysRange launched_firmware() { return boot::info().firmware; }

Result<void> start_vcpu(PhysAddr frame, uint32_t apic_id) {
    if (region_count == 0) return Fail(Error::kUnsupported);  // no guest memory here (IGVM: not yet)
    const std::span<const uint8_t> vmsa(mm::phys_to_virt<uint8_t>(frame), kPageSize);
    if (!svsm::vmsa_fits_guest(vmsa, vmpl(), sev_features())) return Fail(Error::kInvalidArgument);
    if (!apic_online(apic_id)) return Fail(Error::kNotFound);
    WARDEN_TRY_VOID(platform::current().start_guest_vcpu(frame, apic_id, sev_features()));
    return {};
}

PhysAddr initial_caa(unsigned cpu_index) { return memory().base + kNativeCaaOffset + uint64_t{cpu_index} * kPageSize; }

uint64_t mutations(unsigned cpu_index) {
    return cpu_index < arch::kMaxCpus ? mutation_count[cpu_index].load(std::memory_order_relaxed) : 0;
}

}  // namespace warden::guest
