// System-call dispatch. Every argument is untrusted: pointers are checked
// against the task half and copied through the task's own page tables
// (task.hpp), handles against the task's rights (queue.hpp), ports against its grants. A bad
// argument returns an error; nothing a task passes can fault the kernel.
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/percpu.hpp"
#include "arch/x86_64/tsc.hpp"
#include "log.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "platform/platform.hpp"
#include "task/linux.hpp"
#include "task/queue.hpp"
#include "task/sched.hpp"
#include "task/task.hpp"
#include "task/task_log.hpp"
#include "warden/sev/secrets.hpp"
#include "warden/timeout.hpp"

extern "C" void syscall_entry();

namespace warden::task {
namespace {

constexpr uint32_t kMsrStar = 0xc0000081, kMsrLstar = 0xc0000082, kMsrFmask = 0xc0000084, kMsrEfer = 0xc0000080;
constexpr uint64_t kEferSce = 1;
constexpr uint64_t kFmaskBits = (1u << 9) | (1u << 8) | (1u << 10) | (1u << 18);  // IF, TF, DF, AC
constexpr uint64_t kTicksPerSecond = 100;

int64_t fail(Error e) { return -static_cast<int64_t>(e); }
int64_t result(const Result<void>& r) { return r ? 0 : fail(r.error()); }

GuestCallHandler guest_calls = nullptr;  // kernel/svsm's, installed at boot

// Saturating (lib/warden/timeout.hpp): a huge timeout never wraps into a short one.
uint64_t to_ticks(uint64_t timeout_ms) { return timeout::to_ticks(timeout_ms, kTicksPerSecond); }

int64_t sys_log(Task& t, uint64_t ptr, uint64_t len) {
    char text[abi::kMaxLog];
    if (len > sizeof text) return fail(Error::kOutOfRange);
    if (auto r = copy_from_task(t, ptr, text, len); !r) return fail(r.error());
    return result(log_task_text(t, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text), len)));
}

// Pointers first, then the rights (queue.hpp): a refused call touches nothing.
int64_t sys_send(Task& t, uint64_t h, uint64_t ptr) {
    abi::Message m;
    if (auto r = copy_from_task(t, ptr, &m, sizeof m); !r) return fail(r.error());
    return result(ipc_send(t, h, m));
}

int64_t sys_receive(Task& t, uint64_t h, uint64_t out, uint64_t timeout_ms) {
    // The output buffer must be writable before a message is taken off the queue.
    if (auto r = check_task_range(t, out, sizeof(abi::Message), true); !r) return fail(r.error());
    auto m = ipc_receive(t, h, to_ticks(timeout_ms));
    if (!m) return fail(m.error());
    return result(copy_to_task(t, out, &*m, sizeof *m));
}

int64_t sys_call(Task& t, uint64_t h, uint64_t in, uint64_t out, uint64_t timeout_ms, uint64_t lend,
                 uint64_t lend_size) {
    abi::Message m;
    if (auto r = copy_from_task(t, in, &m, sizeof m); !r) return fail(r.error());
    if (auto r = check_task_range(t, out, sizeof(abi::Message), true); !r) return fail(r.error());
    // What it lends must be its own writable memory now: the server may write it.
    if (lend_size > abi::kMaxLend) return fail(Error::kOutOfRange);
    if (lend_size != 0) {
        if (auto r = check_task_range(t, lend, lend_size, true); !r) return fail(r.error());
    }
    auto reply = ipc_call(t, h, m, to_ticks(timeout_ms), lend_size != 0 ? lend : 0, lend_size);
    if (!reply) return fail(reply.error());
    return result(copy_to_task(t, out, &*reply, sizeof *reply));
}

int64_t sys_reply(Task& t, uint64_t token, uint64_t ptr) {
    abi::Message m;
    if (auto r = copy_from_task(t, ptr, &m, sizeof m); !r) return fail(r.error());
    return result(ipc_reply(t, token, m));
}

int64_t sys_lent(Task& t, uint64_t token, uint64_t offset, uint64_t va, uint64_t len, bool write) {
    if (len > abi::kMaxLend) return fail(Error::kOutOfRange);
    // The task's own buffer first: a bad one is refused before the right is looked at.
    if (len != 0) {
        if (auto r = check_task_range(t, va, len, !write); !r) return fail(r.error());
    }
    auto size = ipc_lent(t, token, offset, va, len, write);
    if (!size) return fail(size.error());
    return static_cast<int64_t>(*size);
}

int64_t sys_io(Task& t, bool out, uint64_t port, uint64_t width, uint64_t value) {
    if (port > 0xffff || (width != 1 && width != 2 && width != 4)) return fail(Error::kInvalidArgument);
    if (!t.may_use_port(static_cast<uint16_t>(port), static_cast<unsigned>(width))) return fail(Error::kDenied);
    const auto p = static_cast<uint16_t>(port);
    if (out) {
        if (width == 1)
            arch::outb(p, static_cast<uint8_t>(value));
        else if (width == 2)
            arch::outw(p, static_cast<uint16_t>(value));
        else
            arch::outl(p, static_cast<uint32_t>(value));
        return 0;
    }
    if (width == 1) return arch::inb(p);
    if (width == 2) return arch::inw(p);
    return arch::inl(p);
}

int64_t sys_dma_buffer(Task& t, uint64_t pages, uint64_t phys_out) {
    if (auto r = check_task_range(t, phys_out, sizeof(uint64_t), true); !r) return fail(r.error());
    PhysAddr phys;
    auto va = map_dma_buffer(t, pages, phys);
    if (!va) return fail(va.error());
    const uint64_t raw = phys.raw();
    (void)copy_to_task(t, phys_out, &raw, sizeof raw);
    return static_cast<int64_t>(*va);
}

int64_t sys_dma_check(const Task& t, uint64_t id, uint64_t phys, uint64_t len) {
    if (t.ports[0].count == 0) return fail(Error::kDenied);  // only drivers program DMA
    const Task* owner = id > 0xffffffff ? nullptr : task_by_id(static_cast<uint32_t>(id));
    if (owner == nullptr || !owner->owns_dma(PhysRange{PhysAddr(phys), len})) return fail(Error::kDenied);
    return 0;
}

int64_t sys_psp_key(Task& t, uint64_t out) {
    if (!(t.flags & abi::kManifestAttest)) return fail(Error::kDenied);
    const auto secrets = platform::current().secrets_page();
    if (secrets.size() < sev::kSecretsVmpck0 + sev::kVmpckSize) return fail(Error::kUnsupported);
    return result(copy_to_task(t, out, secrets.data() + sev::kSecretsVmpck0, sev::kVmpckSize));
}

int64_t sys_guest_request(Task& t, uint64_t request, uint64_t response, uint64_t out) {
    if (!(t.flags & abi::kManifestAttest)) return fail(Error::kDenied);
    if (!is_aligned(request, kPageSize) || !is_aligned(response, kPageSize)) return fail(Error::kMisaligned);
    if (request == response) return fail(Error::kInvalidArgument);
    if (!t.owns_dma(PhysRange{PhysAddr(request), kPageSize}) || !t.owns_dma(PhysRange{PhysAddr(response), kPageSize}))
        return fail(Error::kDenied);
    if (auto r = check_task_range(t, out, 2 * sizeof(uint64_t), true); !r) return fail(r.error());
    auto reply = platform::current().guest_request(PhysAddr(request), PhysAddr(response));
    if (!reply) return fail(reply.error());
    const uint64_t words[2] = {reply->info1, reply->info2};
    return result(copy_to_task(t, out, words, sizeof words));
}

}  // namespace

void set_guest_call_handler(GuestCallHandler h) { guest_calls = h; }

void init_syscalls_this_cpu() {
    // STAR: SYSCALL loads CS = 0x08 (SS 0x10); SYSRET CS = 0x10 + 16, SS = 0x10 + 8 (gdt.hpp).
    arch::wrmsr(kMsrStar, (uint64_t{0x10} << 48) | (uint64_t{0x08} << 32));
    arch::wrmsr(kMsrLstar, reinterpret_cast<uint64_t>(&syscall_entry));
    arch::wrmsr(kMsrFmask, kFmaskBits);
    arch::wrmsr(kMsrEfer, arch::rdmsr(kMsrEfer) | kEferSce);
}

}  // namespace warden::task

struct SyscallFrame {
    uint64_t rax, rdi, rsi, rdx, r10, r8, r11, rcx, r9, rsp;
};
extern "C" int64_t syscall_dispatch(SyscallFrame* f);

namespace warden::task {

void serve_syscall_from_fault(arch::InterruptFrame& f) {
    SyscallFrame s{f.rax, f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r11, f.rcx, f.r9, f.rsp};
    f.rax = static_cast<uint64_t>(syscall_dispatch(&s));
    arch::cli();    // isr_common's exit path swaps to the user GS: nothing may interrupt it
    f.rip = f.rcx;  // as SYSRET: RIP from RCX, RFLAGS from R11 (interrupts on)
    constexpr uint64_t kUserFlags = 0x00000cd5 | (1u << 9);  // status flags, DF, IF
    f.rflags = (f.r11 & kUserFlags) | (1u << 9) | 2;
}

}  // namespace warden::task

namespace warden::task {
namespace {

// Warden's own calls: a = RDI, RSI, RDX, R10, R8, R9.
int64_t warden_syscall(Task& t, uint64_t nr, const uint64_t a[6]) {
    switch (static_cast<abi::Sys>(nr)) {
    case abi::Sys::kLog: return sys_log(t, a[0], a[1]);
    case abi::Sys::kExit: exit_current(t, static_cast<int64_t>(a[0]));
    case abi::Sys::kYield: sched::yield(); return 0;
    case abi::Sys::kSend: return sys_send(t, a[0], a[1]);
    case abi::Sys::kReceive: return sys_receive(t, a[0], a[1], a[2]);
    case abi::Sys::kCall: return sys_call(t, a[0], a[1], a[2], a[3], a[4], a[5]);
    case abi::Sys::kReply: return sys_reply(t, a[0], a[1]);
    case abi::Sys::kLentRead: return sys_lent(t, a[0], a[1], a[2], a[3], false);
    case abi::Sys::kLentWrite: return sys_lent(t, a[0], a[1], a[2], a[3], true);
    case abi::Sys::kIoIn: return sys_io(t, false, a[0], a[1], 0);
    case abi::Sys::kIoOut: return sys_io(t, true, a[0], a[1], a[2]);
    case abi::Sys::kDmaBuffer: return sys_dma_buffer(t, a[0], a[1]);
    case abi::Sys::kTicks: return static_cast<int64_t>(arch::this_cpu().ticks.load());
    case abi::Sys::kPspKey: return sys_psp_key(t, a[0]);
    case abi::Sys::kGuestRequest: return sys_guest_request(t, a[0], a[1], a[2]);
    case abi::Sys::kSetFsBase:
        if (a[0] >= abi::kTaskTop) return -static_cast<int64_t>(Error::kOutOfRange);
        sched::set_fs_base(a[0]);
        return 0;
    case abi::Sys::kDmaCheck: return sys_dma_check(t, a[0], a[1], a[2]);
    case abi::Sys::kGuestInfo:
    case abi::Sys::kGuestRead:
    case abi::Sys::kGuestWrite:
    case abi::Sys::kGuestPvalidate:
    case abi::Sys::kVcpuCreate:
    case abi::Sys::kVcpuDelete:
    case abi::Sys::kGuestStart:
    case abi::Sys::kGuestInHands:
    case abi::Sys::kGuestRun:
    case abi::Sys::kGuestSecrets:
    case abi::Sys::kGuestCpuid:
        return guest_calls ? guest_calls(t, static_cast<abi::Sys>(nr), a[0], a[1], a[2]) : fail(Error::kUnsupported);
    }
    return -static_cast<int64_t>(Error::kUnsupported);
}

}  // namespace
}  // namespace warden::task

extern "C" int64_t syscall_dispatch(SyscallFrame* f) {
    using namespace warden;
    using namespace warden::task;
    Task& t = sched::current();
    // SYSRET to a non-canonical RIP would fault in CPL0 with the task's RSP.
    if (f->rcx >= abi::kTaskTop) sched::finish_current(State::kFaulted, -1);
    const uint64_t args[6] = {f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9};
    if (t.flags & abi::kManifestLinux) return linux_syscall(t, f->rax, args, warden_syscall);
    return warden_syscall(t, f->rax, args);
}
