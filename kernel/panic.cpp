// The one way the kernel stops on a broken invariant.
#include "panic.hpp"

#include <atomic>

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/debug_exit.hpp"
#include "arch/x86_64/percpu.hpp"
#include "log.hpp"
#include "task/log_ring.hpp"

namespace warden {
namespace {

std::atomic<bool> panicking{false};
std::atomic<bool> halting{false};

// A CPU that panics while holding the log lock (or races another panicking
// CPU) must still get its message out: wait a bounded time, then write anyway.
bool take_log_lock() {
    for (unsigned i = 0; i < 1'000'000; ++i) {
        if (log::lock().try_lock()) return true;
        arch::pause();
    }
    return false;
}

}  // namespace

void panic_with(std::string_view message, const std::source_location& where) {
    arch::cli();
    if (panicking.exchange(true)) arch::halt_forever();  // the first panic tells the story
    const bool locked = take_log_lock();
    // GS may not point at a per-CPU area yet only before kernel_main's first line.
    fmt::format(console::sink(), "\nPANIC: {} at {}:{} (cpu {})\n", message, where.file_name(), where.line(),
                arch::this_cpu().index);
    if (locked) log::lock().unlock();
    halt_system();
}

bool system_halting() { return halting.load(std::memory_order_acquire); }

void halt_system() {
    arch::cli();
    task::log_ring::drain_to_early_console();  // lines still waiting for the console task
    // Every other CPU gets an NMI (it cannot be masked) and halts in the NMI
    // handler; then QEMU is told to exit with the fail code.
    if (!halting.exchange(true) && arch::online_cpus() > 1) arch::apic::send_nmi_all_but_self();
    arch::debug_exit(arch::ExitCode::kFail);
    arch::halt_forever();
}

}  // namespace warden
