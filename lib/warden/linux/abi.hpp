// The Linux system-call personality of a task (kManifestLinux; docs/tasks.md,
// "Linux tasks"): what Warden serves of the x86-64 Linux ABI to a static
// glibc program (Debian's libtpms and libcrypto, linked as they are), and
// the rules it keeps, free of the kernel so that the host suites test them.
// Numbers: Linux arch/x86/entry/syscalls/syscall_64.tbl; errno values:
// include/uapi/asm-generic/errno-base.h, errno.h. The initial stack: the
// x86-64 psABI 1.0, 3.4.1 "Initial Stack and Register State". Which calls a
// static glibc 2.36 + OpenSSL 3.0 + libtpms 0.9 program makes, and which it
// needs served: ../shared/probes/libtpms-static/REPORT.md.
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "warden/result.hpp"

namespace warden::linux_abi {

enum Call : uint64_t {
    kRead = 0,
    kWrite = 1,
    kOpen = 2,
    kClose = 3,
    kFstat = 5,
    kMmap = 9,
    kMprotect = 10,
    kMunmap = 11,
    kBrk = 12,
    kRtSigaction = 13,
    kRtSigprocmask = 14,
    kIoctl = 16,
    kGetpid = 39,
    kExit = 60,
    kUname = 63,
    kReadlink = 89,
    kGettimeofday = 96,
    kArchPrctl = 158,
    kGettid = 186,
    kTime = 201,
    kFutex = 202,
    kSetTidAddress = 218,
    kClockGettime = 228,
    kExitGroup = 231,
    kOpenat = 257,
    kNewfstatat = 262,
    kSetRobustList = 273,
    kPrlimit64 = 302,
    kGetrandom = 318,
    kRseq = 334,
};

inline constexpr int64_t kEperm = 1, kEnoent = 2, kEbadf = 9, kEagain = 11, kEnomem = 12, kEacces = 13, kEfault = 14,
                         kEinval = 22, kEnotty = 25, kEnosys = 38;

// Warden's own calls from a Linux task: kWardenCallBase + abi::Sys.
inline constexpr uint64_t kWardenCallBase = 0x10000;

// The call's name, for the log; nullptr for a number this table lacks.
const char* call_name(uint64_t n);

// What a call Warden does not serve answers (-errno), chosen so that glibc
// and OpenSSL take their fallback: ENOENT for files (openat, readlink),
// ENOTTY for ioctl, ENOMEM for mmap (malloc falls back to brk), ENOSYS for
// everything else (set_robust_list, rseq, prlimit64, signals, ...).
int64_t refusal(uint64_t n);

// ---- The initial stack. From the top down: 16 random bytes (AT_RANDOM),
// argv[0]'s string, then (16-byte aligned) argc = 1, argv[0], NULL, an empty
// environment (NULL), and the auxiliary vector: AT_PHDR, AT_PHENT,
// AT_PHNUM, AT_PAGESZ, AT_ENTRY, AT_RANDOM, AT_NULL (the minimum a static
// glibc needs: the probe's miniload.c). No AT_SYSINFO_EHDR: no vDSO.
inline constexpr uint64_t kAtNull = 0, kAtPhdr = 3, kAtPhent = 4, kAtPhnum = 5, kAtPagesz = 6, kAtEntry = 9,
                          kAtRandom = 25;
struct StartInfo {
    uint64_t phdr = 0;  // the program headers' address in the task
    uint64_t phnum = 0;
    uint64_t entry = 0;
    std::array<uint8_t, 16> random{};
    std::string_view argv0;  // at most 64 bytes
};
// Writes it into `stack`, which the task sees at [top - stack.size(), top);
// returns the initial RSP (pointing at argc, 16-byte aligned).
// kOverflow when it does not fit, kInvalidArgument for a long argv0.
Result<uint64_t> build_start_stack(std::span<uint8_t> stack, uint64_t top, const StartInfo& info);

// ---- brk: the program break moves within [base, limit]; brk(0), or any
// address outside, answers the current break unchanged (Linux's rule: a
// failed brk returns the old break).
struct Break {
    uint64_t base = 0, current = 0, limit = 0;
};
uint64_t brk_target(const Break& b, uint64_t asked);

// ---- mprotect: what Warden does for (addr, len, prot). Rights only ever
// shrink: PROT_READ makes the pages read-only (glibc's RELRO), PROT_READ |
// PROT_WRITE keeps pages as they are (only writable data may be named);
// anything with PROT_EXEC is refused, so that nothing becomes writable and
// executable; PROT_NONE or unknown bits are refused too.
inline constexpr uint64_t kProtRead = 1, kProtWrite = 2, kProtExec = 4;
enum class Protect : uint8_t { kReadOnly, kKeepWritable };
// -EINVAL (misaligned, wrapping, unknown bits, PROT_NONE), -EACCES (PROT_EXEC).
Result<Protect> check_mprotect(uint64_t addr, uint64_t len, uint64_t prot, int64_t& err);

// ---- Clocks: CLOCK_REALTIME (0), MONOTONIC (1), PROCESS_CPUTIME_ID (2),
// THREAD_CPUTIME_ID (3), MONOTONIC_RAW (4), REALTIME_COARSE (5),
// MONOTONIC_COARSE (6), BOOTTIME (7): all the time since Warden started,
// from the TSC (no wall clock: the realtime epoch is the boot). Others: -EINVAL.
struct Timespec {
    int64_t sec = 0, nsec = 0;
};
Result<Timespec> clock_time(uint64_t clock_id, uint64_t ticks, uint64_t hz);

// ---- write(1 or 2): the bytes become log lines: split at '\n', empty
// pieces dropped, a line longer than `max` cut into pieces of max bytes.
template <typename F>
void for_each_line(std::span<const char> text, size_t max, F&& f) {
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] != '\n' && i - start < max) continue;
        if (i > start) f(text.subspan(start, i - start));
        start = (i < text.size() && text[i] == '\n') ? i + 1 : i;
    }
}

}  // namespace warden::linux_abi
