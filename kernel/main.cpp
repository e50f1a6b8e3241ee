// The boot sequence, top to bottom (DESIGN section 3). Each step is one call;
// what is not built yet is named in docs/architecture.md, not stubbed here.
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/debug_exit.hpp"
#include "arch/x86_64/tsc.hpp"
#include "boot/boot_info.hpp"
#include "console/early_console.hpp"
#include "log.hpp"
#include "test/ktest.hpp"

namespace warden {
namespace runtime {
void run_global_constructors();
}

namespace {

constexpr uint64_t kLowMemoryEnd = 1ull << 20;  // below 1 MiB: BIOS, trampolines later

// The loader gave us something we cannot boot from. Not a kernel bug (so not
// a panic): say what and stop.
[[noreturn]] void cannot_boot(std::string_view step, Error error) {
    log::error("cannot boot: {}: {}", step, error);
    arch::debug_exit(arch::ExitCode::kFail);
    arch::halt_forever();
}

void print_memory_map(const MemoryMap& map) {
    log::info("memory map: {} regions, {} KiB RAM", map.size(), map.ram_bytes() / 1024);
    for (const MemoryRegion& r : map.regions()) {
        log::info("  [{:#018x}-{:#018x}] {:<10} {} KiB", r.range.base.raw(), r.range.end().raw() - 1,
                  region_type_name(r.type), r.range.size / 1024);
    }
}

// RAM the kernel can hand out: above 1 MiB, minus its own image. The frame
// allocator (issue 4) will replace this count with its own.
uint64_t free_kib(const boot::BootInfo& info) {
    const uint64_t ram = info.memory.ram_bytes(PhysAddr(kLowMemoryEnd));
    return (ram - info.memory.ram_bytes_in(info.image)) / 1024;
}

}  // namespace
}  // namespace warden

extern "C" [[noreturn]] void kernel_main(uint64_t start_info_phys, uint64_t entry_tsc) {
    using namespace warden;
    runtime::run_global_constructors();
    console::init();
    log::info("warden: booting via PVH, start_info at {:#x}", start_info_phys);

    const uint64_t tsc_hz = arch::calibrate_tsc();
    log::info("tsc: {} MHz", tsc_hz / 1'000'000);

    if (auto r = boot::load_from_pvh(start_info_phys, entry_tsc); !r) cannot_boot("PVH start_info", r.error());
    const boot::BootInfo& info = boot::info();
    log::info("command line: \"{}\"", info.cmdline.text());
    log::info("kernel image: {:#x}..{:#x} ({} KiB)", info.image.base.raw(), info.image.end().raw(),
              info.image.size / 1024);
    print_memory_map(info.memory);

    const uint64_t boot_us = arch::tsc_delta_us(entry_tsc, arch::rdtsc());
    log::raw("warden: ready cpus={} free_kib={} boot_us={}", 1, free_kib(info), boot_us);

    if (ktest::count() != 0) {
        const unsigned failed = ktest::run_all();
        arch::debug_exit(failed == 0 ? arch::ExitCode::kPass : arch::ExitCode::kFail);
    } else if (info.cmdline.has("warden.exit_when_ready")) {
        arch::debug_exit(arch::ExitCode::kPass);
    }
    log::info("idle: nothing left to do on this CPU");
    arch::halt_forever();
}
