// The guest system calls (docs/svsm.md): kernel/svsm's side of the task
// layer's dispatch, installed at boot (the task layer does not include
// kernel/svsm). Every address is checked here and again by guest.cpp.
#include "svsm/guest_calls.hpp"

#include <cstring>

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/percpu.hpp"
#include "arch/x86_64/tsc.hpp"
#include "boot/boot_info.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "platform/platform.hpp"
#include "svsm/guest.hpp"

namespace warden::guest {
namespace {

int64_t fail(Error e) { return -static_cast<int64_t>(e); }
int64_t result(const Result<void>& r) { return r ? 0 : fail(r.error()); }

// The guest calls: only the request loop (kManifestSvsm) may make them; the
// guest module checks every GPA against guest memory again. They can be
// long (a 511-entry PVALIDATE zeroes 2 MiB) and may shoot down TLBs, so
// they run with interrupts on: this CPU keeps answering IPIs. (The tick
// does not preempt kernel mode; SYSRET restores the task's flags.)
bool begin_guest_call(const task::Task& t) {
    if (!(t.flags & abi::kManifestSvsm)) return false;
    arch::sti();
    return true;
}

int64_t sys_guest_info(task::Task& t, uint64_t out) {
    if (!(t.flags & (abi::kManifestGuest | abi::kManifestSvsm))) return fail(Error::kDenied);
    abi::GuestInfo info;
    const PhysRange mem = memory(), fl = flash(), svsm_mem = svsm_memory();
    info.memory_base = mem.base.raw();
    info.memory_size = mem.size;
    info.caa = initial_caa(t.cpu).raw();
    info.svsm_probe = boot::info().image.base.raw();
    info.mutations = mutations(t.cpu);
    info.sev_features = sev_features();
    info.guest_vmpl = vmpl();
    info.bench = boot::info().cmdline.has("warden.bench") ? 1 : 0;
    info.runs_guest = kernel_runs_guest() ? 1 : 0;
    info.tsc_hz = arch::tsc_hz();
    info.cpu_signature = arch::cpuid(1, 0).eax;
    info.harness_base = mem.size != 0 ? mem.base.raw() + kCaaOffset : 0;
    info.flash_base = fl.base.raw();
    info.flash_size = fl.size;
    info.firmware_size = launched_firmware().size;
    info.svsm_base = svsm_mem.base.raw();
    info.svsm_size = svsm_mem.size;
    info.encryption_mask = platform::current().encryption_mask();
    info.cpu_index = t.cpu;
    info.apic_id = arch::cpu(t.cpu).apic_id;
    for (unsigned i = 0; i < arch::kMaxCpus && info.cpu_count < 64; ++i) {
        if (arch::cpu(i).online.load()) info.apic_ids[info.cpu_count++] = arch::cpu(i).apic_id;
    }
    return result(task::copy_to_task(t, out, &info, sizeof info));
}

// Straight between the task's buffer and the guest page in this CPU's
// window: one mapping per guest page, no bounce buffer on the kernel stack.
int64_t sys_guest_copy(task::Task& t, bool to_guest, uint64_t gpa, uint64_t buf, uint64_t len) {
    if (!begin_guest_call(t)) return fail(Error::kDenied);
    if (len == 0 || len > abi::kMaxGuestCopy) return fail(Error::kOutOfRange);
    if (!is_guest_memory(PhysRange{PhysAddr(gpa), len})) return fail(Error::kOutOfRange);
    if (auto r = task::check_task_range(t, buf, len, !to_guest); !r) return fail(r.error());
    return result(to_guest ? write_from_task(t, buf, PhysAddr(gpa), len) : read_to_task(t, buf, PhysAddr(gpa), len));
}

int64_t sys_guest_pvalidate(task::Task& t, uint64_t gpa, uint64_t huge, uint64_t validate) {
    if (!begin_guest_call(t)) return fail(Error::kDenied);
    auto r = pvalidate(PhysAddr(gpa), huge != 0, validate != 0);
    return r ? static_cast<int64_t>(*r) : fail(r.error());
}

// The kernel keeps its own copy of the VMSA, in SVSM memory: the caller
// cannot change it after the checks.
int64_t sys_guest_start(task::Task& t, uint64_t vmsa, uint64_t apic_id, uint64_t caa) {
    if (!begin_guest_call(t)) return fail(Error::kDenied);
    if (apic_id > 0xffffffff) return fail(Error::kOutOfRange);
    if (caa == 0) {
        for (unsigned i = 0; i < arch::kMaxCpus; ++i) {
            if (arch::cpu(i).online.load() && arch::cpu(i).apic_id == apic_id) caa = initial_caa(i).raw();
        }
    }
    auto frame = mm::alloc_zeroed(0);
    if (!frame) return fail(frame.error());
    auto r = task::copy_from_task(t, vmsa, mm::phys_to_virt(*frame), kPageSize);
    if (r) r = start_vcpu(*frame, static_cast<uint32_t>(apic_id), PhysAddr(caa));
    mm::free_frames(*frame, 0);  // checked here; the platform runs the vCPU from its own copy
    return result(r);
}

// The guest's secrets and CPUID pages, made in a frame of SVSM memory from
// the platform's (guest.hpp) and written by place_page, which checks the
// target itself; the frame is wiped before it is freed (the guest's keys
// stay in the guest's page only). The secrets page names the BSP's Calling
// Area: a whole guest page in the guest's hands, not the secrets page.
int64_t place_made_page(uint64_t gpa, Result<void> (*make)(uint64_t, std::span<uint8_t, kPageSize>), uint64_t arg) {
    // The target first, so that a bad one is named whatever the platform
    // has (place_page checks again, atomically with the write).
    if (!is_aligned(gpa, kPageSize)) return fail(Error::kMisaligned);
    const PhysRange target{PhysAddr(gpa), kPageSize};
    if (!is_guest_memory(target)) return fail(Error::kOutOfRange);
    if (!in_guest_hands(target) || !is_validated(PhysAddr(gpa))) return fail(Error::kDenied);
    auto frame = mm::alloc_zeroed(0);
    if (!frame) return fail(frame.error());
    const std::span<uint8_t, kPageSize> page(mm::phys_to_virt<uint8_t>(*frame), kPageSize);
    auto r = make(arg, page);
    if (r) r = place_page(PhysAddr(gpa), page);
    std::memset(page.data(), 0, kPageSize);
    mm::free_frames(*frame, 0);
    return result(r);
}

int64_t sys_guest_secrets(task::Task& t, uint64_t gpa, uint64_t caa) {
    if (!begin_guest_call(t)) return fail(Error::kDenied);
    if (!is_aligned(gpa, kPageSize) || !is_aligned(caa, kPageSize)) return fail(Error::kMisaligned);
    const PhysRange ca{PhysAddr(caa), kPageSize};
    if (!is_guest_memory(ca)) return fail(Error::kOutOfRange);
    if (!in_guest_hands(ca)) return fail(Error::kDenied);
    if (caa == gpa) return fail(Error::kInvalidArgument);
    return place_made_page(
        gpa, [](uint64_t a, std::span<uint8_t, kPageSize> out) { return make_secrets_page(PhysAddr(a), out); }, caa);
}

int64_t sys_guest_cpuid(task::Task& t, uint64_t gpa) {
    if (!begin_guest_call(t)) return fail(Error::kDenied);
    return place_made_page(
        gpa, [](uint64_t, std::span<uint8_t, kPageSize> out) { return make_cpuid_page(out); }, 0);
}

// The request loop of this CPU only (pinned: a per-CPU task): results, if
// any, are copied in, the guest runs (the platform turns interrupts off for
// that), its call is copied out.
int64_t sys_guest_run(task::Task& t, uint64_t results, uint64_t out) {
    if (!(t.flags & abi::kManifestPerCpu)) return fail(Error::kDenied);
    if (!begin_guest_call(t)) return fail(Error::kDenied);
    svsm::CallRegs in;
    uint64_t start = 0;
    if (results != 0) {
        abi::GuestCall r;
        if (auto c = task::copy_from_task(t, results, &r, sizeof r); !c) return fail(c.error());
        in = svsm::CallRegs{.rax = r.rax, .rcx = r.rcx, .rdx = r.rdx, .r8 = r.r8, .r9 = r.r9};
        start = r.start;
    }
    auto exit = run_vcpu(results != 0 ? &in : nullptr, start);
    if (!exit) return fail(exit.error());
    const abi::GuestCall call{.rax = exit->call.rax,
                              .rcx = exit->call.rcx,
                              .rdx = exit->call.rdx,
                              .r8 = exit->call.r8,
                              .r9 = exit->call.r9,
                              .caa = exit->caa.raw(),
                              .start = exit->start,
                              .exit_code = exit->exit_code};
    return result(task::copy_to_task(t, out, &call, sizeof call));
}

}  // namespace

int64_t serve_call(task::Task& t, abi::Sys nr, uint64_t rdi, uint64_t rsi, uint64_t rdx) {
    switch (nr) {
    case abi::Sys::kGuestInfo: return sys_guest_info(t, rdi);
    case abi::Sys::kGuestRead: return sys_guest_copy(t, false, rdi, rsi, rdx);
    case abi::Sys::kGuestWrite: return sys_guest_copy(t, true, rdi, rsi, rdx);
    case abi::Sys::kGuestPvalidate: return sys_guest_pvalidate(t, rdi, rsi, rdx);
    case abi::Sys::kVcpuCreate:
        if (!begin_guest_call(t)) return fail(Error::kDenied);
        if (rdx > 0xffffffff) return fail(Error::kOutOfRange);
        return result(create_and_start_vcpu(PhysAddr(rdi), PhysAddr(rsi), static_cast<uint32_t>(rdx)));
    case abi::Sys::kVcpuDelete:
        if (!begin_guest_call(t)) return fail(Error::kDenied);
        return result(delete_vcpu(PhysAddr(rdi)));
    case abi::Sys::kGuestStart: return sys_guest_start(t, rdi, rsi, rdx);
    case abi::Sys::kGuestRun: return sys_guest_run(t, rdi, rsi);
    case abi::Sys::kGuestSecrets: return sys_guest_secrets(t, rdi, rsi);
    case abi::Sys::kGuestCpuid: return sys_guest_cpuid(t, rdi);
    case abi::Sys::kGuestInHands:
        if (!begin_guest_call(t)) return fail(Error::kDenied);
        return in_guest_hands(PhysRange{PhysAddr(rdi), rsi}) ? 0 : fail(Error::kDenied);
    default: return fail(Error::kUnsupported);
    }
}

}  // namespace warden::guest
