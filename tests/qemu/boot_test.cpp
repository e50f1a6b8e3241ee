// Boot tests run inside the kernel after the ready line (warden-tests.elf).
#include "arch/x86_64/cpu.hpp"
#include "boot/boot_info.hpp"
#include "test/ktest.hpp"
#include "warden/format.hpp"

using namespace warden;

namespace {
// Runs during run_global_constructors(): proves the loop actually ran.
struct ConstructorProbe {
    ConstructorProbe() : value(0x600d) {}
    uint32_t value;
};
ConstructorProbe probe;
uint64_t zero_bss[64];
}  // namespace

KTEST("boot: global constructors ran") { KCHECK(probe.value == 0x600d); }

KTEST("boot: .bss is zeroed") {
    uint64_t any = 0;
    for (uint64_t v : zero_bss) any |= v;
    KCHECK(any == 0);
}

KTEST("boot: running in long mode in the higher half") {
    const auto rip = reinterpret_cast<uint64_t>(&arch::rdtsc);
    KCHECK(rip >= 0xffffffff80000000ull);
    KCHECK(arch::read_cr0() & (1ull << 31));  // CR0.PG
    KCHECK(arch::read_cr4() & (1ull << 5));   // CR4.PAE
}

KTEST("memmap: parsed from PVH start_info with RAM above 1 MiB") {
    const boot::BootInfo& info = boot::info();
    const MemoryMap& m = info.memory;
    for (size_t i = 1; i < m.size(); ++i) KCHECK(m.regions()[i - 1].range.base <= m.regions()[i].range.base);
    if (info.kind == boot::BootKind::kIgvm) {
        // Under IGVM the map is the SVSM memory of the boot block (docs/igvm.md):
        // its RAM is that range less the boot data, and nothing lies outside it.
        KCHECK(m.size() >= 1);
        KCHECK(m.ram_bytes(PhysAddr(0)) == info.launch.svsm.size - info.launch.boot_data.size);
        for (const auto& r : m.regions()) KCHECK(info.launch.svsm.contains(r.range));
        return;
    }
    KCHECK(m.size() >= 2);
    // Every run in the suite passes -m 128M or more.
    KCHECK(m.ram_bytes(PhysAddr(1 << 20)) >= 100ull << 20);
}

KTEST("memmap: the kernel image lies in RAM") {
    const boot::BootInfo& info = boot::info();
    // At its link address, KERNEL_PHYS in linker/kernel.ld, or under IGVM at
    // the bottom of the SVSM memory (docs/igvm.md).
    const PhysAddr want = info.kind == boot::BootKind::kIgvm ? info.launch.svsm.base : PhysAddr(32 << 20);
    KCHECK(info.image.base == want);
    KCHECK(info.image.size > 0);
    KCHECK(info.memory.is_ram(info.image));
}

KTEST("format: kernel build renders like the host build") {
    fmt::FixedString<64> s;
    fmt::format(s, "{:#x} {} {:05}", 0xfee00000u, -7, 42);
    KCHECK(s.view() == "0xfee00000 -7 00042");
}

KTEST("cmdline: the loader's command line reached the kernel") {
    if (boot::info().kind == boot::BootKind::kIgvm) KSKIP("IGVM gives the kernel no command line yet");
    KCHECK(boot::info().cmdline.has("warden.test"));
}
