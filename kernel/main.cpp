// The boot sequence, top to bottom (DESIGN section 3). Each step is one call;
// what is not built yet is named in docs/architecture.md, not stubbed here.
#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpu_init.hpp"
#include "arch/x86_64/debug_exit.hpp"
#include "arch/x86_64/fault_recovery.hpp"
#include "arch/x86_64/idt.hpp"
#include "arch/x86_64/percpu.hpp"
#include "arch/x86_64/tsc.hpp"
#include "boot/boot_info.hpp"
#include "console/early_console.hpp"
#include "log.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/heap.hpp"
#include "mm/stacks.hpp"
#include "panic.hpp"
#include "platform/acpi.hpp"
#include "platform/platform.hpp"
#include "platform/snp.hpp"
#include "smp/start_aps.hpp"
#include "svsm/guest.hpp"
#include "svsm/guest_calls.hpp"
#include "task/boot_tasks.hpp"
#include "task/log_ring.hpp"
#include "task/sched.hpp"
#include "task/task.hpp"
#include "test/ktest.hpp"
#include "warden/x86/exceptions.hpp"

namespace warden {
using mm::BuddyAllocator;
namespace runtime {
void run_global_constructors();
}

namespace {

constexpr uint64_t kApTimeoutMs = 5000;
arch::CpuStacks bsp_stacks;
uint64_t kernel_main_tsc = 0, loaded_tsc = 0;  // around the loader: TSCs for the boot log

// The loader or the machine gave us something we cannot boot from. Not a
// kernel bug (so not a panic): say what and stop.
[[noreturn]] void cannot_boot(std::string_view step, Error error) {
    log::error("cannot boot: {}: {}", step, error);
    halt_system();
}

template <typename T>
T must(Result<T> r, std::string_view step) {
    if (!r) cannot_boot(step, r.error());
    return *r;
}
void must(Result<void> r, std::string_view step) {
    if (!r) cannot_boot(step, r.error());
}

void print_memory_map(const MemoryMap& map) {
    log::info("memory map: {} regions, {} KiB RAM", map.size(), map.ram_bytes() / 1024);
    for (const MemoryRegion& r : map.regions()) {
        log::info("  [{:#018x}-{:#018x}] {:<10} {} KiB", r.range.base.raw(), r.range.end().raw() - 1,
                  region_type_name(r.type), r.range.size / 1024);
    }
}

void init_platform() {
    const platform::Detection d = platform::detect();
    fmt::FixedString<200> status;
    sev::describe_status(status, d.status);
    must(platform::init(d), "platform (SEV or SEV-ES without SNP cannot host an SVSM)");
    log::info("platform: {} (CPUID 0x8000001F: sev={} snp={} c-bit={}; SEV_STATUS: {})", platform::current().name(),
              d.cpuid.sev, d.cpuid.snp, d.cpuid.c_bit, status.view());
}

void print_memory_account() {
    const mm::BootMemoryAccount& a = mm::boot_account();
    const uint64_t owned = mm::frame_allocator().owned_frames() * kPageSize;
    const uint64_t free = mm::free_bytes();
    log::info(
        "memory: {} KiB RAM = {} below 1 MiB + {} image + {} frame info + {} region edges + {} in use "
        "(page tables, stacks, heap) + {} free",
        a.ram / 1024, a.low / 1024, a.image / 1024, a.frame_info / 1024, a.unaligned / 1024, (owned - free) / 1024,
        free / 1024);
    fmt::FixedString<160> orders;
    for (unsigned o = 0; o <= BuddyAllocator::kMaxOrder; ++o) {
        fmt::format(orders, "{}{}", o ? " " : "", mm::frame_allocator().free_blocks(o));
    }
    log::info("frames: free blocks by order 0..{}: {}", BuddyAllocator::kMaxOrder, orders.view());
}

void audit_address_space() {
    const mm::AuditResult audit = mm::audit_kernel_address_space();
    log::info("audit: {} 4K + {} 2M + {} 1G mappings; writable+executable: {}; executable in direct map: {}",
              audit.leaves_4k, audit.leaves_2m, audit.leaves_1g, audit.writable_and_executable,
              audit.executable_direct_map);
    if (!audit.ok()) panic("audit: page {} breaks W^X or the NX direct map", audit.first_bad);
    log::info("audit: passed");
}

// The CPUs the platform lists (the MADT, or the loader's vCPU count);
// without a list Warden runs on the BSP alone.
void start_application_processors(const boot::BootInfo& info) {
    smp::init();
    uint32_t ids[acpi::Madt::kMaxCpus];
    auto n = platform::list_cpus(info, ids);
    if (!n) {
        log::warn("smp: no usable MADT ({}): running on the BSP only", n.error());
        return;
    }
    const unsigned started = smp::start_aps(std::span<const uint32_t>(ids, *n), kApTimeoutMs);
    if (started + 1 < *n) log::error("smp: only {} of {} CPUs came up", started + 1, *n);
}

// --exit-when-ready: the tasks that play the guest (the harness) run to
// their end, and every other task has settled (blocked, waiting for work),
// so what they had to say is in the log. The BSP runs its own tasks meanwhile.
// Ended, or waiting for work: blocked without a timeout (a service between
// requests). The console polls every 10 ms, so blocked is enough for it.
bool is_settled(const task::Task& t) {
    if (t.state == task::State::kExited || t.state == task::State::kFaulted) return true;
    if ((t.flags & abi::kManifestGuest) || t.state != task::State::kBlocked) return false;
    return t.wake_tick == 0 || (t.flags & abi::kManifestConsole);
}

void wait_until_settled() {
    constexpr uint64_t kLimitUs = 240'000'000;  // this machine's nested KVM needs ~20 ms per SVSM call
    auto all_settled = [](void*) {
        for (task::Task* t : task::all_tasks()) {
            if (!is_settled(*t)) return false;
        }
        return true;
    };
    if (task::sched::run_until(all_settled, nullptr, kLimitUs)) return;
    for (task::Task* t : task::all_tasks()) {
        if (!is_settled(*t))
            log::error("task {} still {} after {} s", t->name, task::state_name(t->state), kLimitUs / 1'000'000);
    }
}

// Steps 6 onwards run on the BSP's guarded kernel stack.
[[noreturn]] void boot_on_kernel_stack(void*) {
    arch::PerCpu& bsp = arch::cpu(0);
    arch::init_cpu_tables(bsp, bsp_stacks);
    must(platform::current().init_cpu(0), "platform setup of the BSP (SNP: its GHCB)");
    console::init();  // IGVM: the port IO it needs works from here
    const uint64_t tsc_hz = arch::calibrate_tsc();
    if (tsc_hz == 0) panic("tsc: no PIT one-shot pair measured a rate (the clock every timeout uses)");
    log::info("tsc: {} MHz", tsc_hz / 1'000'000);
    boot::log_entry_cost(kernel_main_tsc, loaded_tsc);
    must(arch::apic::init_bsp(mm::map_device_page), "local APIC");
    arch::apic::init_this_cpu();
    bsp.apic_id = arch::apic::this_apic_id();
    arch::mark_online(bsp);

    mm::init_heap();
    if (auto g = guest::init(boot::info()); !g) log::warn("guest: no guest memory: {} (docs/svsm.md)", g.error());
    task::set_guest_call_handler(guest::serve_call);
    audit_address_space();
    print_memory_account();

    arch::apic::calibrate_timer();
    log::info("apic: timer {} kHz, tick {} Hz", arch::apic::timer_hz() / 1000, arch::apic::kTickHz);
    task::init_syscalls_this_cpu();
    task::sched::init_this_cpu();
    task::sched::init_ipis();
    arch::apic::start_timer();
    const boot::BootInfo& info = boot::info();
    boot::load_late();
    start_application_processors(info);
    const unsigned tasks = task::start_boot_tasks(arch::online_cpus());

    const uint64_t boot_us = arch::tsc_delta_us(info.entry_tsc, arch::rdtsc());
    log::raw("warden: ready cpus={} tasks={} free_kib={} boot_us={}", arch::online_cpus(), tasks,
             mm::free_bytes() / 1024, boot_us);

    if (ktest::count() != 0) {
        const unsigned failed = ktest::run_all();
        task::log_ring::flush(2'000'000);
        arch::debug_exit(failed == 0 ? arch::ExitCode::kPass : arch::ExitCode::kFail);
    } else if (info.cmdline.has("warden.exit_when_ready")) {
        wait_until_settled();
        task::log_ring::flush(2'000'000);
        arch::debug_exit(arch::ExitCode::kPass);
    }
    task::sched::idle_loop();
}

}  // namespace
}  // namespace warden

// boot_arg: the PVH start_info or the IGVM boot block (physical address); 0 as the firmware.
extern "C" [[noreturn]] void kernel_main(uint64_t boot_arg, uint64_t entry_tsc, uint64_t kind) {
    using namespace warden;
    const auto boot_kind = static_cast<boot::BootKind>(kind);
    runtime::run_global_constructors();
    arch::init_this_cpu(0, 0);  // GS first: fault reports name the CPU
    if (platform::port_io_at_entry(boot_kind))
        console::init();
    else
        console::hold();  // no port IO before the GHCB
    arch::init_idt();     // from here every exception is reported
    arch::set_fault_hooks(arch::FaultHooks{.syscall_from_fault = task::serve_syscall_from_fault,
                                           .describe_guard_page = mm::describe_guard_page,
                                           .task_fault = task::sched::stop_faulted});
    arch::set_exception_handler(x86::kVmmCommunication, platform::handle_vc);  // only SEV-ES/SNP raise it
    arch::set_task_exception_handler(x86::kVmmCommunication, [](arch::InterruptFrame& f) {
        uint8_t insn[2];
        return task::copy_from_task(task::sched::current(), f.rip, insn, sizeof insn).ok() &&
               platform::handle_task_vc(f, insn);
    });
    kernel_main_tsc = arch::rdtsc();  // the loader's cost, reported once the TSC is calibrated
    must(boot::load(boot_kind, boot_arg, entry_tsc),
         "the loader's boot data (PVH start_info, IGVM boot block and "
         "parameters, or fw_cfg etc/e820 and command line)");
    loaded_tsc = arch::rdtsc();
    const boot::BootInfo& info = boot::info();
    log::info("command line: \"{}\"", info.cmdline.text());
    log::info("kernel image: {:#x}..{:#x} ({} KiB)", info.image.base.raw(), info.image.end().raw(),
              info.image.size / 1024);
    if (info.firmware.size != 0) {
        log::info("igvm: firmware at {:#x}..{:#x} ({} KiB)", info.firmware.base.raw(), info.firmware.end().raw(),
                  info.firmware.size / 1024);
    }
    print_memory_map(info.memory);
    init_platform();
    must(platform::current().init_boot(info), "platform boot setup");

    must(mm::init_frames(info.memory, info.image, info.identity), "frame allocator");
    must(mm::build_kernel_address_space(info.memory, platform::current().encryption_mask()),
         "kernel address space (needs NX)");
    bsp_stacks = must(mm::allocate_cpu_stacks(0), "BSP stacks");
    arch::call_on_stack(boot_on_kernel_stack, nullptr, bsp_stacks.kernel.raw());
    panic("boot_on_kernel_stack returned");
}
