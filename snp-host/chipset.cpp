// The guest's chipset (chipset.hpp): the port accesses lib's model answers,
// under the machine's chipset lock, and the host's lines about them.
#include "chipset.hpp"

#include "baremetal/pit.hpp"
#include "console.hpp"
#include "cpu.hpp"
#include "vcpu.hpp"

namespace snp_host {
namespace {

namespace ws = warden::svm;

// The 8254's channel 2 as a stopwatch (lib/baremetal/pit.hpp). The lowest of
// a few gates: whatever delays the host at a gate's edges only lengthens it
// in TSC ticks.
constexpr uint64_t kPitHz = baremetal::pit::kHz;
constexpr uint64_t kGateTicks = kPitHz / 100;  // 10 ms
constexpr unsigned kGates = 3;

uint64_t one_gate() {
    const uint64_t ticks = baremetal::pit::one_shot_cycles(static_cast<uint16_t>(kGateTicks));
    return ticks / kGateTicks * kPitHz + ticks % kGateTicks * kPitHz / kGateTicks;
}

const char* function_name(ws::PciFunction f) {
    switch (f) {
    case ws::PciFunction::kHostBridge: return "0:0.0 i440FX";
    case ws::PciFunction::kIsaBridge: return "0:1.0 PIIX3 ISA";
    case ws::PciFunction::kPm: return "0:1.3 PIIX4 PM";
    case ws::PciFunction::kNone: break;
    }
    return "a function that does not exist";
}

// What a port access did that the host says, decided under the lock and
// said after it (a line takes the console lock).
struct Said {
    bool pm_io_on = false;
    uint16_t pm_base = 0;
    bool refused = false;
    ws::PciFunction function = ws::PciFunction::kNone;
    uint8_t offset = 0;
    uint32_t address = 0;
    bool sleep = false;
    uint8_t sleep_type = 0;
};

void config_access(Chipset& c, uint16_t port, unsigned size, bool in, uint32_t& value, Said& said) {
    if (in) {
        value = c.config.read(port, size);
        return;
    }
    const ws::PciWrite w = c.config.write(port, size, value);
    const ws::PmIo io = c.config.pm_io();
    if (w.pm_io_changed && io.enabled && !c.said_pm_io) {
        c.said_pm_io = true;
        said.pm_io_on = true;
        said.pm_base = io.base;
    }
    if (w.refused_bits) {
        bool& once = c.said_refused[static_cast<size_t>(w.function)][w.offset];
        if (!once) {
            once = true;
            said.refused = true;
            said.function = w.function;
            said.offset = w.offset;
            said.address = c.config.address();
        }
    }
}

}  // namespace

void chipset_init(Chipset& c) {
    uint64_t lowest = 0;
    for (unsigned i = 0; i < kGates; ++i) {
        const uint64_t hz = one_gate();
        lowest = i == 0 || hz < lowest ? hz : lowest;
    }
    c.tsc_hz = lowest;
    c.start_tsc = cpu::rdtsc();
    log("chipset: TSC {} Hz ({} MHz) against L1's 8254 PIT, the clock of the guest's ACPI PM timer (3579545 Hz)",
        c.tsc_hz, c.tsc_hz / 1'000'000);
}

bool chipset_io(Vcpu& v, uint16_t port, unsigned size, bool in, uint32_t& value) {
    Chipset& c = v.machine->chipset;
    Said said;
    {
        warden::LockGuard<warden::SpinLock> one_device(c.lock);
        const ws::PmIo io = c.config.pm_io();
        if (ws::PciConfigSpace::claims(port)) {
            config_access(c, port, size, in, value, said);
        } else if (io.enabled && port >= io.base && port < io.base + ws::kPmIoBytes) {
            const uint64_t now = ws::pm_timer_ticks(cpu::rdtsc() - c.start_tsc, c.tsc_hz);
            const auto offset = static_cast<uint16_t>(port - io.base);
            if (in) {
                value = c.pm.read(offset, size, now);
            } else {
                const ws::PmWrite w = c.pm.write(offset, size, value, now);
                said.sleep = w.sleep;
                said.sleep_type = w.sleep_type;
            }
        } else {
            return false;
        }
    }
    if (said.pm_io_on) log("pci: the guest enabled PIIX4 PM IO at {:#x}", said.pm_base);
    if (said.refused)
        log("vCPU {}: pci: a write to {} offset {:#x} (CONFIG_ADDRESS {:#x}) would change read-only bits: ignored "
            "(said once per register)",
            v.index, function_name(said.function), said.offset, said.address);
    if (said.sleep) {
        log("vCPU {}: pci: the guest asks for sleep type {} through PM1a_CNT.SLP_EN (QEMU: 0 soft off, 1 suspend): "
            "not modelled, the run ends",
            v.index, said.sleep_type);
        stop_machine(v, false);
    }
    return true;
}

}  // namespace snp_host
