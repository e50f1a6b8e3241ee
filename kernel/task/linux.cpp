// The Linux personality's system calls (linux.hpp). Every pointer is a task
// pointer, checked and copied through the task's own tables as for Warden's
// calls; every refusal is an errno the program's libraries expect.
#include "task/linux.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/tsc.hpp"
#include "log.hpp"
#include "mm/layout.hpp"
#include "task/sched.hpp"
#include "task/task_log.hpp"
#include "warden/elf.hpp"
#include "warden/linux/abi.hpp"

namespace warden::task {
namespace {

namespace lx = warden::linux_abi;

constexpr uint64_t kArchSetFs = 0x1002, kArchGetFs = 0x1003;
constexpr uint64_t kFutexWake = 1, kFutexCmdMask = 0x7f;
constexpr size_t kMaxRandom = 256;  // bytes per getrandom call (Linux answers fewer too)

// One line in the log per call number refused, so that a program's unusual
// call is seen once, never a flood.
void note_refused(Task& t, uint64_t nr, int64_t err) {
    const uint64_t slot = nr < 511 ? nr : 511;  // every number past 510 shares the last bit: one line for them all
    uint64_t& seen = t.linux_refused[slot / 64];
    const uint64_t bit = uint64_t{1} << (slot % 64);
    if (seen & bit) return;
    seen |= bit;
    const char* name = lx::call_name(nr);
    log::info("linux: task {}: {} ({}) refused: errno {}{}", t.name, name ? name : "a call", nr, -err,
              slot == 511 ? " (calls past 510 are said once together)" : "");
}

bool fill_random(uint8_t* out, size_t n) {
    // The DRNG the CPU has, asked once (a kernel CPUID is a #VC under SNP).
    static const bool seed = (arch::cpuid(7).ebx >> 18) & 1, rand = (arch::cpuid(1).ecx >> 30) & 1;
    for (size_t at = 0; at < n; at += 8) {
        uint64_t v = 0;
        bool got = false;
        for (int tries = 0; !got && tries < 32; ++tries)
            got = (seed && arch::rdseed64(v)) || (rand && arch::rdrand64(v));
        if (!got) return false;
        for (size_t i = 0; i < 8 && at + i < n; ++i) out[at + i] = static_cast<uint8_t>(v >> (8 * i));
    }
    return true;
}

int64_t sys_write(Task& t, uint64_t fd, uint64_t buf, uint64_t len) {
    if (fd != 1 && fd != 2) return -lx::kEbadf;
    char text[512];
    uint64_t done = 0;
    while (done < len) {
        const size_t n = len - done < sizeof text ? static_cast<size_t>(len - done) : sizeof text;
        if (!copy_from_task(t, buf + done, text, n)) return done ? static_cast<int64_t>(done) : -lx::kEfault;
        lx::for_each_line(std::span<const char>(text, n), abi::kMaxLog, [&](std::span<const char> line) {
            (void)log_task_text(t,
                                std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(line.data()), line.size()));
        });
        done += n;
    }
    return static_cast<int64_t>(len);
}

int64_t sys_brk(Task& t, uint64_t asked) {
    const uint64_t target = lx::brk_target(lx::Break{t.brk_base, t.brk_current, t.brk_base + kLinuxBreakMax}, asked);
    // Pages are mapped as the break first reaches them and kept when it moves back.
    const uint64_t need = align_up(target, kPageSize);
    if (need > t.brk_mapped) {
        if (!map_task_pages(t, t.brk_mapped, (need - t.brk_mapped) / kPageSize))
            return static_cast<int64_t>(t.brk_current);
        t.brk_mapped = need;
    }
    t.brk_current = target;
    return static_cast<int64_t>(target);
}

int64_t sys_mprotect(Task& t, uint64_t addr, uint64_t len, uint64_t prot) {
    int64_t err = 0;
    auto what = lx::check_mprotect(addr, len, prot, err);
    if (!what) return err;
    auto r = protect_task_pages(t, addr, align_up(len, kPageSize), *what == lx::Protect::kReadOnly);
    if (!r) return r.error() == Error::kDenied ? -lx::kEacces : -lx::kEnomem;
    return 0;
}

int64_t sys_clock(Task& t, uint64_t clock_id, uint64_t out) {
    auto ts = lx::clock_time(clock_id, arch::rdtsc(), arch::tsc_hz());
    if (!ts) return -lx::kEinval;
    const int64_t words[2] = {ts->sec, ts->nsec};
    return copy_to_task(t, out, words, sizeof words) ? 0 : -lx::kEfault;
}

int64_t sys_getrandom(Task& t, uint64_t buf, uint64_t len) {
    uint8_t bytes[kMaxRandom];
    const size_t n = len < kMaxRandom ? static_cast<size_t>(len) : kMaxRandom;
    if (n == 0) return 0;
    if (!check_task_range(t, buf, n, true)) return -lx::kEfault;
    if (!fill_random(bytes, n)) {
        note_refused(t, lx::kGetrandom, -lx::kEnosys);  // no DRNG: no entropy to give, and none is made up
        return -lx::kEnosys;
    }
    (void)copy_to_task(t, buf, bytes, n);
    for (auto& b : bytes) b = 0;
    return static_cast<int64_t>(n);
}

}  // namespace

Result<uint64_t> linux_prepare(Task& t, const elf::Image& image, uint64_t stack_top, PhysAddr top_frame) {
    uint64_t end = 0;
    for (size_t i = 0; i < image.count; ++i) {
        const uint64_t e = image.segments[i].vaddr + image.segments[i].memsz;
        if (e > end) end = e;
    }
    t.brk_base = t.brk_current = t.brk_mapped = align_up(end, kPageSize);
    lx::StartInfo info{.phdr = image.phdr, .phnum = image.phnum, .entry = image.entry, .argv0 = t.name};
    if (!fill_random(info.random.data(), info.random.size())) {
        // AT_RANDOM seeds glibc's stack protector and pointer guard: the TSC where there is no DRNG.
        const uint64_t tsc = arch::rdtsc() * 0x9e3779b97f4a7c15u;
        for (size_t i = 0; i < 16; ++i) info.random[i] = static_cast<uint8_t>((tsc >> (8 * (i % 8))) ^ (i * 0x3b));
    }
    auto* page = mm::phys_to_virt<uint8_t>(top_frame);
    return lx::build_start_stack(std::span<uint8_t>(page, kPageSize), stack_top, info);
}

int64_t linux_syscall(Task& t, uint64_t nr, const uint64_t a[6], WardenCall warden_call) {
    if (nr >= lx::kWardenCallBase) return warden_call(t, nr - lx::kWardenCallBase, a);
    switch (nr) {
    case lx::kWrite: return sys_write(t, a[0], a[1], a[2]);
    case lx::kExit:
    case lx::kExitGroup: exit_current(t, static_cast<int64_t>(a[0]));
    case lx::kBrk: return sys_brk(t, a[0]);
    case lx::kMprotect: return sys_mprotect(t, a[0], a[1], a[2]);
    case lx::kArchPrctl:
        if (a[0] == kArchSetFs) {
            if (a[1] >= abi::kTaskTop) return -lx::kEperm;
            sched::set_fs_base(a[1]);
            return 0;
        }
        if (a[0] == kArchGetFs) return copy_to_task(t, a[1], &t.fs_base, 8) ? 0 : -lx::kEfault;
        return -lx::kEinval;
    case lx::kFutex:
        // One thread: nobody ever waits, so a wake wakes nobody. A wait would wait forever: refused.
        if ((a[1] & kFutexCmdMask) == kFutexWake) return 0;
        note_refused(t, nr, -lx::kEnosys);
        return -lx::kEnosys;
    case lx::kGetrandom: return sys_getrandom(t, a[0], a[1]);
    case lx::kClockGettime: return sys_clock(t, a[0], a[1]);
    case lx::kTime: {
        const auto ts = lx::clock_time(0, arch::rdtsc(), arch::tsc_hz());
        const int64_t sec = ts ? ts->sec : 0;
        if (a[0] != 0 && !copy_to_task(t, a[0], &sec, 8)) return -lx::kEfault;
        return sec;
    }
    case lx::kGettimeofday: {
        const auto ts = lx::clock_time(0, arch::rdtsc(), arch::tsc_hz());
        const int64_t tv[2] = {ts ? ts->sec : 0, ts ? ts->nsec / 1000 : 0};
        if (a[0] != 0 && !copy_to_task(t, a[0], tv, sizeof tv)) return -lx::kEfault;
        return 0;
    }
    case lx::kGetpid:
    case lx::kGettid:
    case lx::kSetTidAddress: return t.id;
    default: {
        const int64_t err = lx::refusal(nr);
        note_refused(t, nr, err);
        return err;
    }
    }
}

}  // namespace warden::task
