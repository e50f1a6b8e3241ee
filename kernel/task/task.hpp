// Tasks: an address space, one thread, a handle table and IO-port grants
// (DESIGN section 6). Created from an ELF image and its manifest; scheduled
// by sched.hpp; talking through queues (queue.hpp).
#pragma once

#include <atomic>
#include <span>
#include <string_view>

#include "arch/x86_64/idt.hpp"
#include "mm/stacks.hpp"
#include "warden/abi/syscall.hpp"
#include "warden/list.hpp"
#include "warden/log_line.hpp"
#include "warden/mm/page_table.hpp"

namespace warden::task {

enum class State : uint8_t { kReady, kRunning, kBlocked, kExited, kFaulted };
constexpr const char* state_name(State s) {
    switch (s) {
    case State::kReady: return "ready";
    case State::kRunning: return "running";
    case State::kBlocked: return "blocked";
    case State::kExited: return "exited";
    case State::kFaulted: return "faulted";
    }
    return "?";
}

struct Task {
    ListNode run_node;   // on a CPU's run queue
    ListNode wait_node;  // on a queue's receivers, or the timeout list
    uint32_t id = 0;
    char name[abi::kNameBytes] = {};
    State state = State::kReady;
    unsigned cpu = 0;
    bool idle = false;  // a CPU's own boot context, never on a run queue

    uint64_t saved_rsp = 0;  // kernel RSP while switched out
    mm::Stack kernel_stack;
    PhysAddr pml4;          // 0 for the idle contexts (kernel tables)
    uint64_t dma_next = 0;  // next free address for DMA buffers
    PhysRange dma[4];       // the buffers' frames (kDmaCheck)
    bool owns_dma(PhysRange r) const {
        for (const PhysRange& d : dma) {
            const uint64_t size = __atomic_load_n(&d.size, __ATOMIC_ACQUIRE);  // published after base
            if (size != 0 && r.size != 0 && PhysRange{d.base, size}.contains(r)) return true;
        }
        return false;
    }

    // Frames charged to it (its PML4 and lower-half tables, ELF pages, user
    // stack, DMA buffers) and returned so far; both only grow. What it holds
    // is the difference: 0 once release_task_memory has run. (Its kernel
    // stack is the kernel's: see release_task_memory.)
    std::atomic<uint64_t> frames_charged{0};
    std::atomic<uint64_t> frames_returned{0};
    uint64_t frames_held() const { return frames_charged.load() - frames_returned.load(); }

    // Its IPC rights are the IPC system's (queue.hpp), keyed by its id.
    // The memory it lent with its current call (kCall's lend; size 0:
    // none): set under the IPC lock with the call, read under it only while
    // the IPC system says the task still waits for that call.
    uint64_t lend_base = 0, lend_size = 0;
    abi::PortRange ports[abi::kMaxPortRanges] = {};

    // Blocking.
    uint64_t wake_tick = 0;  // 0 = no timeout
    Error wake_error{};      // kTimedOut when the timeout fired
    bool woken = false;

    uint8_t flags = 0;  // the manifest's (abi::kManifest*)
    // kManifestLinux (linux.cpp): the program break, the end of the pages
    // mapped for it, and which call numbers were refused (one log line each).
    uint64_t brk_base = 0, brk_current = 0, brk_mapped = 0;
    uint64_t linux_refused[8] = {};
    uint64_t fs_base = 0;  // kSetFsBase's; loaded when it runs
    // kManifestVector: its x87/SSE state while switched out (FXSAVE64
    // layout), the init state at creation (sched.cpp init_vector_state).
    alignas(16) uint8_t vector_state[512] = {};
    log_line::Budget log_budget;  // how much of the log it may still take (task_log.hpp)
    // What it was made from, for a restart (kManifestRestartable): its
    // embedded image, its manifest as placed, and the restarts so far.
    const char* file = "";
    std::span<const uint8_t> image;
    abi::Manifest manifest;
    uint8_t restarts = 0;

    int64_t exit_code = 0;
    unsigned fault_vector = 0;   // when faulted: the exception
    uint64_t fault_address = 0;  // CR2 for #PF, RIP otherwise
    uint64_t created_tsc = 0;

    bool may_use_port(uint16_t port, unsigned width) const;
};

// Loads an ELF service image into a new task (not yet runnable). Errors come
// from the ELF and manifest checks, or kNoMemory.
Result<Task*> create_task(std::span<const uint8_t> image, const abi::Manifest& manifest, unsigned cpu);

// The task half of the current address space: is [va, va + len) mapped for
// the task (and writable, if asked)? Copies never fault: they go through the
// direct map of the translated frames.
Result<void> copy_from_task(Task& t, uint64_t va, void* out, size_t len);
// Checks without copying that [va, va + len) is task memory (writable if asked).
Result<void> check_task_range(Task& t, uint64_t va, size_t len, bool writable);
Result<void> copy_to_task(Task& t, uint64_t va, const void* in, size_t len);
// From one task's memory to another's (the IPC lend), both ranges checked
// whole first: a refused copy changes nothing.
Result<void> copy_between_tasks(Task& from, uint64_t from_va, Task& to, uint64_t to_va, size_t len);

// Maps `pages` fresh zeroed pages RW+NX at va (owned, charged: returned at
// the task's end); kAlreadyMapped where something is mapped.
Result<void> map_task_pages(Task& t, uint64_t va, uint64_t pages);
// Makes [va, va + len) read-only (read_only) or checks it stays as it is;
// every page must be the task's own non-executable memory (kNotFound for a
// hole or a borrowed page, kDenied for an executable one); nothing changes
// unless every page qualifies. The current task's: its TLB entries go here.
Result<void> protect_task_pages(Task& t, uint64_t va, uint64_t len, bool read_only);

// Maps pages of fresh zeroed, physically contiguous memory RW+NX into the task.
Result<uint64_t> map_dma_buffer(Task& t, uint64_t pages, PhysAddr& phys_out);
// Maps existing frames into the task RW+NX at va (the console's log ring).
Result<void> map_shared(Task& t, uint64_t va, PhysAddr frames, uint64_t bytes);

// Tasks that play the guest (kManifestGuest): guest memory mapped at
// kGuestMapBase + GPA; one page of it unmapped (present = false) or mapped
// back in every such task, with the TLBs of every CPU invalidated.
Result<void> map_guest_memory(Task& t, PhysRange gpa, PhysAddr backing);
Result<void> set_guest_page_access(PhysAddr gpa, PhysAddr backing, bool present);

// Returns what an ended task owned: its DMA buffers (made private again
// first), the frames of its ELF segments and user stack, the tables of its
// half (PML4 slots 0..255) and its PML4; never what it only borrows (the
// log ring, guest memory) nor the kernel half's shared tables. Its PML4 must
// be loaded on no CPU. A second call does nothing.
//
// Its kernel stack (16 KiB) stays mapped and allocated: freeing it means
// unmapping a global kernel-half mapping (the BSP wrote the first frame
// through it at creation), which needs a shootdown every CPU answers within
// its timeout, and a CPU may run long with interrupts off (the BSP's boot
// tests did, and the shootdown panicked). A lazy flush (free once every CPU
// has flushed its global entries) would make it safe; not done yet.
void release_task_memory(Task& t);

// Per CPU: SYSCALL/SYSRET MSRs (STAR, LSTAR, FMASK, EFER.SCE).
void init_syscalls_this_cpu();
// The guest system calls (kGuestInfo .. kGuestInHands) are kernel/svsm's,
// a layer above this one: it installs their handler at boot. Until then
// they answer kUnsupported. The handler's answer goes to RAX.
using GuestCallHandler = int64_t (*)(Task& t, abi::Sys nr, uint64_t rdi, uint64_t rsi, uint64_t rdx);
void set_guest_call_handler(GuestCallHandler handler);
// Serves a system call whose SYSCALL faulted at the entry in CPL3 (see
// idt.cpp) and returns to the task as SYSRET would have.
void serve_syscall_from_fault(arch::InterruptFrame& f);

// All tasks ever created (for reports and tests).
std::span<Task* const> all_tasks();
Task* find_task(std::string_view name);
// Predicates for sched::run_until on a Task*: it exited or faulted; and so,
// with every frame charged to it returned.
bool task_ended(void* task);
bool task_reclaimed(void* task);
Task* task_by_id(uint32_t id);

}  // namespace warden::task
