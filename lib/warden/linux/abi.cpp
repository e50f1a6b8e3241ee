// The Linux personality's rules (abi.hpp).
#include "warden/linux/abi.hpp"

#include "warden/addr.hpp"
#include "warden/bytes.hpp"

namespace warden::linux_abi {

const char* call_name(uint64_t n) {
    switch (n) {
    case kRead: return "read";
    case kWrite: return "write";
    case kOpen: return "open";
    case kClose: return "close";
    case kFstat: return "fstat";
    case kMmap: return "mmap";
    case kMprotect: return "mprotect";
    case kMunmap: return "munmap";
    case kBrk: return "brk";
    case kRtSigaction: return "rt_sigaction";
    case kRtSigprocmask: return "rt_sigprocmask";
    case kIoctl: return "ioctl";
    case kGetpid: return "getpid";
    case kExit: return "exit";
    case kUname: return "uname";
    case kReadlink: return "readlink";
    case kGettimeofday: return "gettimeofday";
    case kArchPrctl: return "arch_prctl";
    case kGettid: return "gettid";
    case kTime: return "time";
    case kFutex: return "futex";
    case kSetTidAddress: return "set_tid_address";
    case kClockGettime: return "clock_gettime";
    case kExitGroup: return "exit_group";
    case kOpenat: return "openat";
    case kNewfstatat: return "newfstatat";
    case kSetRobustList: return "set_robust_list";
    case kPrlimit64: return "prlimit64";
    case kGetrandom: return "getrandom";
    case kRseq: return "rseq";
    }
    return nullptr;
}

int64_t refusal(uint64_t n) {
    switch (n) {
    case kOpen:
    case kOpenat:
    case kReadlink: return -kEnoent;
    case kIoctl: return -kEnotty;
    case kMmap: return -kEnomem;
    case kRead:
    case kClose:
    case kFstat: return -kEbadf;
    default: return -kEnosys;
    }
}

Result<uint64_t> build_start_stack(std::span<uint8_t> stack, uint64_t top, const StartInfo& info) {
    if (info.argv0.size() > 64) return Fail(Error::kInvalidArgument);
    // Bytes: random 16, argv0 + NUL (rounded to 16), then the words: argc,
    // argv[0], NULL, envp NULL, 7 auxv pairs; rounded so RSP is 16-aligned.
    const uint64_t strings = 16 + align_up(info.argv0.size() + 1, 16);
    constexpr uint64_t kWords = 4 + 2 * 7;
    const uint64_t words_bytes = align_up(kWords * 8, 16);
    if (stack.size() < strings + words_bytes || top < stack.size() || (top & 15) != 0) return Fail(Error::kOverflow);
    const uint64_t base = top - stack.size();  // the task address of stack[0]
    const auto at = [&](uint64_t va) { return static_cast<size_t>(va - base); };
    const uint64_t random_va = top - 16;
    const uint64_t argv0_va = random_va - align_up(info.argv0.size() + 1, 16);
    for (size_t i = 0; i < 16; ++i) stack[at(random_va) + i] = info.random[i];
    for (size_t i = 0; i < info.argv0.size(); ++i) stack[at(argv0_va) + i] = static_cast<uint8_t>(info.argv0[i]);
    stack[at(argv0_va) + info.argv0.size()] = 0;
    const uint64_t rsp = argv0_va - words_bytes;
    const uint64_t words[kWords] = {1,        argv0_va,   0,         0,          kAtPhdr,   info.phdr,
                                    kAtPhent, 56,         kAtPhnum,  info.phnum, kAtPagesz, 4096,
                                    kAtEntry, info.entry, kAtRandom, random_va,  kAtNull,   0};
    for (size_t i = 0; i < kWords; ++i) store_le<uint64_t>(stack, at(rsp) + 8 * i, words[i]);
    return rsp;
}

uint64_t brk_target(const Break& b, uint64_t asked) {
    if (asked < b.base || asked > b.limit) return b.current;
    return asked;
}

Result<Protect> check_mprotect(uint64_t addr, uint64_t len, uint64_t prot, int64_t& err) {
    err = -kEinval;
    if ((addr & 0xfff) != 0 || len == 0 || len > (uint64_t{1} << 47) || addr > (uint64_t{1} << 47))
        return Fail(Error::kInvalidArgument);
    if (prot & ~(kProtRead | kProtWrite | kProtExec)) return Fail(Error::kInvalidArgument);
    if (prot & kProtExec) {
        err = -kEacces;
        return Fail(Error::kDenied);
    }
    if (prot == kProtRead) return Protect::kReadOnly;
    if (prot == (kProtRead | kProtWrite)) return Protect::kKeepWritable;
    return Fail(Error::kInvalidArgument);  // PROT_NONE, or write without read
}

Result<Timespec> clock_time(uint64_t clock_id, uint64_t ticks, uint64_t hz) {
    if (clock_id > 7 || hz == 0) return Fail(Error::kInvalidArgument);
    const uint64_t sec = ticks / hz, rest = ticks % hz;
    // rest < hz < 2^64: rest * 10^9 in 128 bits.
    __extension__ using U128 = unsigned __int128;
    const auto nsec = static_cast<uint64_t>(static_cast<U128>(rest) * 1'000'000'000u / hz);
    return Timespec{static_cast<int64_t>(sec), static_cast<int64_t>(nsec)};
}

}  // namespace warden::linux_abi
