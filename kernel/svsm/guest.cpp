// Guest memory policy, the validation record and vCPU records (see guest.hpp),
// over the platform's guest face.
#include "svsm/guest.hpp"

#include <atomic>
#include <cstring>
#include <type_traits>

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/percpu.hpp"
#include "log.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "platform/guest_window.hpp"
#include "task/task.hpp"
#include "warden/sev/secrets.hpp"
#include "warden/spinlock.hpp"
#include "warden/svsm/taken_pages.hpp"
#include "warden/svsm/vmsa_call.hpp"

namespace warden::guest {
namespace {

platform::Platform& hw() { return platform::current(); }

std::span<const Region> region_table;
SpinLock lock;                   // the bookkeeping below
uint64_t* valid_bits = nullptr;  // one bit per guest page, regions one after another
uint64_t page_count = 0;
std::atomic<uint64_t> mutation_count[arch::kMaxCpus];  // by the CPU whose request loop made the change

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
    for (const Region& g : region_table) {
        if (g.gpa.contains(r)) return &g;
    }
    return nullptr;
}

// The page's index in valid_bits: regions one after another.
uint64_t page_index(PhysAddr gpa) {
    uint64_t before = 0;
    for (const Region& g : region_table) {
        if (g.gpa.contains(gpa)) return before + (gpa - g.gpa.base) / kPageSize;
        before += g.gpa.size / kPageSize;
    }
    return page_count;  // callers check the region first
}

// What the guest's VMPL may do with a validated page of a region: all of
// it in RAM; read and execute in the firmware's flash, which is the
// guest's ROM (OVMF runs in place from it and never writes it).
uint8_t rights_in(const Region& g) {
    return g.flash ? platform::kRmpRead | platform::kRmpExecUser | platform::kRmpExecSupervisor : platform::kRmpAll;
}

bool bit(uint64_t i) { return valid_bits[i / 64] >> (i % 64) & 1; }
void set_bit(uint64_t i, bool v) {
    if (v)
        valid_bits[i / 64] |= uint64_t{1} << (i % 64);
    else
        valid_bits[i / 64] &= ~(uint64_t{1} << (i % 64));
}

// Maps the guest page at gpa into this CPU's window (interrupts off), runs
// f(window), unmaps; f's answer is the result.
template <typename F>
Result<void> through_window(PhysAddr gpa, F&& f) {
    const platform::GuestWindow w(gpa);
    WARDEN_TRY_VOID(w.status());
    return f(w.bytes());
}

// Whether every page of r is validated (the record; under `lock`).
bool validated_locked(PhysRange r) {
    for (PhysAddr p = r.base.align_down(kPageSize); p < r.end(); p += kPageSize) {
        if (!bit(page_index(p))) return false;
    }
    return true;
}

// Where the platform faults on an access to a page not validated (SNP), the
// SVSM does not touch one (under `lock`).
bool readable_locked(PhysRange r) { return !hw().guest_access_needs_validation() || validated_locked(r); }

// The launch's flash (SNP) is the guest's ROM (rights_in): the SVSM writes
// none of it on the guest's behalf either, or a Calling Area, a PVALIDATE
// list or a reply the guest names there would write what its VMPL may only
// read and execute. Native's flash is the loader's to fill.
bool writable_locked(PhysRange r) {
    for (PhysAddr p = r.base.align_down(kPageSize); p < r.end(); p += kPageSize) {
        const Region* g = region_of(PhysRange{p, kPageSize});
        if (g == nullptr || g->launch_validated) return false;
    }
    return true;
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
        WARDEN_TRY_VOID(through_window(at.align_down(kPageSize), [&](uint8_t* w) { return f(w + offset, done, n); }));
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
// validated_only: the range must be validated on every platform (a page
// the kernel places for the guest's loader), not only where access faults.
// A copy that writes (f takes a mutable window) is refused on a region the
// launch measured (writable_locked).
template <typename F>
Result<void> each_page(PhysAddr gpa, size_t len, F&& f, bool validated_only = false) {
    constexpr bool writes = !std::is_invocable_v<F&, const uint8_t*, size_t, size_t>;
    const PhysRange r{gpa, len};
    const unsigned cpu = arch::this_cpu().index;  // a system call does not migrate
    {
        LockGuard guard(lock);
        WARDEN_TRY_VOID(check_in_hands_locked(r));
        if (!readable_locked(r) || (validated_only && !validated_locked(r))) return Fail(Error::kDenied);
        if (writes && !writable_locked(r)) return Fail(Error::kDenied);
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

bool apic_online(uint32_t apic_id) {
    for (unsigned i = 0; i < arch::kMaxCpus; ++i) {
        if (arch::cpu(i).online.load() && arch::cpu(i).apic_id == apic_id) return true;
    }
    return false;
}

// Mapped back into the guest's tasks and given back to its VMPL while still
// taken, and only then out of the table: once it is out another CPU's
// CREATE_VCPU may take it, and a remap after that CPU's unmap would leave a
// live VMSA writable by the guest. Should either fail, the page stays taken
// (out of the guest's reach: the safe side).
Result<void> give_back_page(const Region& g, PhysAddr page) {
    WARDEN_TRY_VOID(hw().unmake_vmsa_page(page, kGuestVmpl, rights_in(g)));
    WARDEN_TRY_VOID(task::set_guest_page_access(page, g.backing_of(page), true));
    LockGuard guard(lock);
    return taken.give_back(page);
}

// Recorded as taken first, so no check on the guest's behalf passes on it
// any more; then copies that passed before are waited out, the page is
// unmapped from every task playing the guest (native) and made the
// platform's VMSA page, which leaves the guest's VMPL no rights on it (SNP).
// The Calling Area is checked in the same critical section: a refusal takes
// nothing. The page tables change outside the lock: unmapping shoots down
// other CPUs' TLBs, and a CPU spinning on the lock with interrupts off could
// not answer.
Result<void> take_vmsa(const Region& g, PhysAddr vmsa, PhysAddr caa) {
    {
        LockGuard guard(lock);
        WARDEN_TRY_VOID(check_in_hands_locked(PhysRange{caa, kPageSize}));
        // SNP: no VMSA is made of a page not validated (RMPADJUST would fault).
        if (!readable_locked(PhysRange{vmsa, kPageSize})) return Fail(Error::kDenied);
        WARDEN_TRY_VOID(taken.take(vmsa));  // kAlreadyMapped: already a VMSA, live or being checked
    }
    wait_for_copies(vmsa);
    auto r = task::set_guest_page_access(vmsa, g.backing_of(vmsa), false);
    if (r) r = hw().make_vmsa_page(vmsa, kGuestVmpl);
    if (!r) {
        (void)give_back_page(g, vmsa);  // remaps the tasks the loop had reached
        return r;
    }
    return {};
}

// The page is out of the guest's reach: what is read here is what the vCPU gets.
Result<void> check_and_make_live(PhysAddr vmsa) {
    uint8_t head[svsm::kVmsaCheckedBytes];
    WARDEN_TRY_VOID(through_window(vmsa, [&](const uint8_t* w) {
        std::memcpy(head, w, sizeof head);
        return Result<void>{};
    }));
    if (!svsm::vmsa_fits_guest(head, vmpl(), sev_features())) return Fail(Error::kInvalidArgument);
    LockGuard guard(lock);
    WARDEN_TRY_VOID(taken.make_live(vmsa));
    count_mutation();
    return {};
}

// A region the launch validated (SNP's flash, with the firmware in it) is
// recorded as validated, and the guest's VMPL gets its rights on it now,
// as on a page validated for it: rights follow validation.
Result<void> adopt_launch_validated() {
    for (const Region& g : region_table) {
        if (!g.launch_validated) continue;
        const uint64_t first = page_index(g.gpa.base);
        for (uint64_t i = 0; i < g.gpa.size / kPageSize; ++i) {
            WARDEN_TRY_VOID(
                hw().set_guest_access(g.gpa.base + i * kPageSize, mm::PageSize::k4K, kGuestVmpl, rights_in(g)));
            set_bit(first + i, true);
        }
        log::info("guest: {:#x}..{:#x}: validated by the launch; VMPL{} may read and execute it, not write it",
                  g.gpa.base.raw(), g.gpa.end().raw(), kGuestVmpl);
    }
    return {};
}

}  // namespace

// The record: one bit per page of every region, in frames of its own (a
// 384 MiB guest needs 12 KiB), all clear but for the regions the launch
// validated (SNP's flash, adopt_launch_validated).
Result<void> init(const boot::BootInfo& info) {
    WARDEN_TRY_VOID(platform::init_guest_windows());
    WARDEN_TRY_VOID(hw().init_guest_memory(info));
    uint64_t pages = 0;
    for (const Region& g : hw().guest_regions()) pages += g.gpa.size / kPageSize;
    if (pages == 0) return Fail(Error::kNotFound);
    const unsigned order = mm::BuddyAllocator::order_for_bytes(align_up((pages + 7) / 8, uint64_t{8}));
    WARDEN_TRY(bits, mm::alloc_zeroed(order));
    valid_bits = mm::phys_to_virt<uint64_t>(bits);
    page_count = pages;
    region_table = hw().guest_regions();
    return adopt_launch_validated();
}

std::span<const Region> regions() { return region_table; }
// The first RAM region and those that abut it (native RAM is two blocks).
PhysRange memory() {
    PhysRange ram;
    for (const Region& g : region_table) {
        if (g.flash) continue;
        if (ram.size == 0)
            ram = g.gpa;
        else if (g.gpa.base == ram.end())
            ram.size += g.gpa.size;
        else
            break;
    }
    return ram;
}
PhysRange flash() {
    for (const Region& g : region_table) {
        if (g.flash) return g.gpa;
    }
    return {};
}

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

// The guest's VMPL's rights on a validated page: one RMPADJUST of its size,
// or where the RMP holds a 2 MiB page as 4 KiB entries one per 4 KiB page.
Result<void> set_rights(PhysAddr page, mm::PageSize size, uint8_t rights) {
    auto whole = hw().set_guest_access(page, size, kGuestVmpl, rights);
    if (whole || whole.error() != Error::kMisaligned || size != mm::PageSize::k2M) return whole;
    for (uint64_t i = 0; i < kLargePageSize / kPageSize; ++i) {
        WARDEN_TRY_VOID(hw().set_guest_access(page + i * kPageSize, mm::PageSize::k4K, kGuestVmpl, rights));
    }
    return {};
}

// The record is PVALIDATE's model: 4 KiB pages flip their bit; a 2 MiB
// request needs all 512 bits alike (else the RMP would hold small pages:
// size mismatch). Only then the platform: validate, zero (DESIGN 8: a
// hypervisor could have remapped an SVSM page's backing here), then the
// guest's VMPL gets its rights; a rescind takes the rights away first (on
// SNP RMPADJUST of a page not validated faults). The platform may still
// answer a size mismatch (a 2 MiB page the RMP holds as 4 KiB entries):
// the guest retries with 4 KiB pages, and nothing changed. For a rescind
// the revoking RMPADJUST already says so, before anything changes.
Result<svsm::PvalidateOutcome> pvalidate(PhysAddr page, bool huge, bool validate) {
    const uint64_t bytes = huge ? kLargePageSize : kPageSize;
    const mm::PageSize size = huge ? mm::PageSize::k2M : mm::PageSize::k4K;
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
    if (!validate) {
        auto revoked = hw().set_guest_access(page, size, kGuestVmpl, 0);
        if (!revoked && revoked.error() == Error::kMisaligned) return svsm::PvalidateOutcome::kSizeMismatch;
        WARDEN_TRY_VOID(revoked);
    }
    auto changed = hw().validate_guest_page(page, size, validate);
    if (!changed) {
        if (!validate) (void)set_rights(page, size, rights_in(*g));  // as it was
        if (changed.error() == Error::kMisaligned) return svsm::PvalidateOutcome::kSizeMismatch;
        return Fail(changed.error());
    }
    if (validate) {
        for (uint64_t i = 0; i < n; ++i) {
            WARDEN_TRY_VOID(through_window(page + i * kPageSize, [](uint8_t* w) {
                std::memset(w, 0, kPageSize);
                return Result<void>{};
            }));
        }
        WARDEN_TRY_VOID(set_rights(page, size, rights_in(*g)));
    }
    for (uint64_t i = 0; i < n; ++i) set_bit(first + i, validate);
    count_mutation();
    return svsm::PvalidateOutcome::kChanged;
}

bool is_validated(PhysAddr page) {
    if (!is_guest_memory(PhysRange{page, kPageSize})) return false;
    LockGuard guard(lock);
    return bit(page_index(page));
}

// The XCR0 components the CPU has (CPUID 0xD/0 EDX:EAX), which a VMSA's
// XCR0 may name: a VMRUN with another would fail (XSETBV's rule).
uint64_t supported_xcr0() {
    const auto leaf = arch::cpuid(0xd, 0);
    return uint64_t{leaf.edx} << 32 | leaf.eax;
}

// CREATE_VCPU where the kernel runs the guest: the page is the platform's
// VMSA page already; AP creation at the guest's VMPL registers it for the
// target vCPU in place, and that CPU's request loop runs it.
Result<void> start_taken_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t apic_id) {
    uint8_t page[svsm::kVmsaXcr0Offset + 8];
    WARDEN_TRY_VOID(through_window(vmsa, [&](const uint8_t* w) {
        std::memcpy(page, w, sizeof page);
        return Result<void>{};
    }));
    if (!svsm::vmsa_xcr0_valid(page, supported_xcr0())) return Fail(Error::kInvalidArgument);
    WARDEN_TRY_VOID(reserve_vcpu(apic_id));  // before the host registers anything
    auto r = hw().start_guest_vcpu_at(vmsa, apic_id, sev_features(), kGuestVmpl);
    if (r) r = attach_vcpu(apic_id, vmsa, false, caa);
    if (!r) release_vcpu(apic_id);
    if (!r) log::warn("guest: CREATE_VCPU for APIC ID {}: starting it failed: {}", apic_id, r.error());
    return r;
}

// Take, check, make live: one kernel call, so nothing the request loop
// does can come between taking the page and checking it.
Result<void> create_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t apic_id) {
    if (!vmsa.is_aligned(kPageSize) || !caa.is_aligned(kPageSize) || vmsa == caa) return Fail(Error::kMisaligned);
    const Region* g = region_of(PhysRange{vmsa, kPageSize});
    if (g == nullptr || !is_guest_memory(PhysRange{caa, kPageSize})) return Fail(Error::kOutOfRange);
    if (!apic_online(apic_id)) return Fail(Error::kNotFound);
    WARDEN_TRY_VOID(take_vmsa(*g, vmsa, caa));
    auto r = check_and_make_live(vmsa);
    if (!r) (void)give_back_page(*g, vmsa);
    return r;
}

Result<void> create_and_start_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t apic_id) {
    WARDEN_TRY_VOID(create_vcpu(vmsa, caa, apic_id));
    if (!kernel_runs_guest()) return {};
    // A vCPU the guest created stops for the new one; the one the loader
    // started goes on running: this VMSA stays created -- taken, checked,
    // live until DELETE_VCPU gives it back -- but is not started.
    if (auto replaced = detach_guest_created(apic_id); !replaced) {
        (void)delete_vcpu(vmsa);
        return Fail(replaced.error());
    }
    if (cpu_runs_vcpu(apic_id)) return {};
    auto r = start_taken_vcpu(vmsa, caa, apic_id);
    if (!r) (void)delete_vcpu(vmsa);  // not attached: the page is the guest's again
    return r;
}

Result<void> delete_vcpu(PhysAddr vmsa) {
    const Region* g = region_of(PhysRange{vmsa, kPageSize});
    if (g == nullptr) return Fail(Error::kOutOfRange);
    {
        LockGuard guard(lock);
        if (!taken.is_live(vmsa)) return Fail(Error::kNotFound);
    }
    WARDEN_TRY_VOID(detach_vcpu(vmsa));
    {
        LockGuard guard(lock);
        WARDEN_TRY_VOID(taken.end_live(vmsa));
    }
    return give_back_page(*g, vmsa);  // the page is the guest's again
}

PhysRange svsm_memory() { return hw().svsm_memory(); }
uint8_t vmpl() { return kGuestVmpl; }
uint64_t sev_features() { return hw().guest_sev_features(); }
PhysRange launched_firmware() { return boot::info().firmware; }

// The platform runs the vCPU from its own copy of frame, a page of SVSM
// memory, which that CPU's request loop then runs.
Result<void> start_vcpu(PhysAddr frame, uint32_t apic_id, PhysAddr caa) {
    if (region_table.empty()) return Fail(Error::kUnsupported);  // guest memory did not come up (its warning says why)
    const std::span<const uint8_t> vmsa(mm::phys_to_virt<uint8_t>(frame), kPageSize);
    if (!svsm::vmsa_fits_guest(vmsa, vmpl(), sev_features())) return Fail(Error::kInvalidArgument);
    if (!apic_online(apic_id)) return Fail(Error::kNotFound);
    if (!is_guest_memory(PhysRange{caa, svsm::kCaaHeaderSize})) return Fail(Error::kOutOfRange);
    // Where no lower VMPL runs (native) the platform says so, whatever the XCR0.
    if (kernel_runs_guest() && !svsm::vmsa_xcr0_valid(vmsa, supported_xcr0())) return Fail(Error::kInvalidArgument);
    WARDEN_TRY_VOID(reserve_vcpu(apic_id));
    auto page = platform::current().start_guest_vcpu(frame, apic_id, sev_features());
    auto r = page ? attach_vcpu(apic_id, *page, true, caa) : Result<void>(Fail(page.error()));
    if (!r) release_vcpu(apic_id);
    return r;
}

PhysAddr initial_caa(unsigned cpu_index) { return memory().base + kCaaOffset + uint64_t{cpu_index} * kPageSize; }

uint64_t mutations(unsigned cpu_index) {
    return cpu_index < arch::kMaxCpus ? mutation_count[cpu_index].load(std::memory_order_relaxed) : 0;
}

// The guest is told where its SVSM is and which Calling Area its BSP starts
// with (SVSM spec 58019; SPEC-FACTS.md 7).
Result<void> make_secrets_page(PhysAddr caa, std::span<uint8_t, kPageSize> out) {
    const PhysRange svsm = svsm_memory();
    const sev::SvsmFields fields{
        .base = svsm.base.raw(), .size = svsm.size, .caa = caa.raw(), .max_version = 1, .guest_vmpl = kGuestVmpl};
    return sev::make_guest_secrets(hw().secrets_page(), fields, out);
}

Result<void> place_page(PhysAddr gpa, std::span<const uint8_t, kPageSize> page) {
    if (!gpa.is_aligned(kPageSize)) return Fail(Error::kMisaligned);
    return each_page(
        gpa, kPageSize,
        [&](uint8_t* w, size_t done, size_t n) {
            std::memcpy(w, page.data() + done, n);
            return Result<void>{};
        },
        true);
}

Result<void> make_cpuid_page(std::span<uint8_t, kPageSize> out) {
    const std::span<const uint8_t> page = hw().cpuid_page();
    if (page.size() != kPageSize) return Fail(Error::kNotFound);
    std::memcpy(out.data(), page.data(), kPageSize);
    return {};
}

}  // namespace warden::guest
