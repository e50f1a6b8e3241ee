// The Linux system-call personality (kManifestLinux; lib/warden/linux/abi.hpp
// holds its rules, docs/tasks.md "Linux tasks" what it serves).
#pragma once

#include "task/task.hpp"
#include "warden/elf.hpp"

namespace warden::task {

inline constexpr uint64_t kLinuxStackPages = 64;      // 256 KiB: OpenSSL's RSA key generation is deep
inline constexpr uint64_t kLinuxBreakMax = 64 << 20;  // the heap brk may grow to

// A Linux task's start: the initial stack (argc, argv, envp, auxv) in its
// top stack page, the program break after its highest segment. Returns the
// initial RSP.
Result<uint64_t> linux_prepare(Task& t, const elf::Image& image, uint64_t stack_top, PhysAddr top_frame);

// One system call of a Linux task: its number and arguments (RDI, RSI, RDX,
// R10, R8, R9). Warden's own calls come as kWardenCallBase + abi::Sys and
// are `warden_call`'s.
using WardenCall = int64_t (*)(Task& t, uint64_t nr, const uint64_t args[6]);
int64_t linux_syscall(Task& t, uint64_t nr, const uint64_t args[6], WardenCall warden_call);

}  // namespace warden::task
