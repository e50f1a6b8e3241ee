// Local APIC driver.
#include "arch/x86_64/apic.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/tsc.hpp"
#include "log.hpp"
#include "warden/bits.hpp"

namespace warden::arch::apic {
namespace {

constexpr uint32_t kMsrApicBase = 0x1b;
constexpr uint64_t kApicBaseEnable = bit(11);
constexpr uint64_t kApicBaseX2 = bit(10);
constexpr uint32_t kCpuidX2ApicBit = 21;  // CPUID 1 ECX

// Register offsets (xAPIC MMIO).
constexpr uint32_t kId = 0x20, kTpr = 0x80, kEoi = 0xb0, kSvr = 0xf0, kEsr = 0x280, kIcrLow = 0x300, kIcrHigh = 0x310,
                   kLvtTimer = 0x320, kLvtLint0 = 0x350, kLvtLint1 = 0x360, kLvtError = 0x370, kTimerInitial = 0x380,
                   kTimerCurrent = 0x390, kTimerDivide = 0x3e0;
constexpr uint32_t kSvrEnable = bit<uint32_t>(8);
constexpr uint32_t kLvtMasked = bit<uint32_t>(16);
constexpr uint32_t kLvtPeriodic = bit<uint32_t>(17);
constexpr uint32_t kTimerDivideBy16 = 0x3;
constexpr uint32_t kIcrDeliveryPending = bit<uint32_t>(12);
constexpr uint32_t kIcrLevelAssert = bit<uint32_t>(14);
constexpr uint32_t kIcrModeNmi = 4u << 8, kIcrModeInit = 5u << 8, kIcrModeStartup = 6u << 8;
constexpr uint32_t kIcrAllButSelf = 3u << 18;

Mode apic_mode = Mode::kXApic;
volatile uint32_t* mmio = nullptr;
uint64_t ticks_per_second = 0;

uint32_t read(uint32_t reg) {
    if (apic_mode == Mode::kX2Apic) return static_cast<uint32_t>(rdmsr(0x800 + reg / 16));
    return mmio[reg / 4];
}
void write(uint32_t reg, uint32_t v) {
    if (apic_mode == Mode::kX2Apic)
        wrmsr(0x800 + reg / 16, v);
    else
        mmio[reg / 4] = v;
}

void send_icr(uint32_t apic_id, uint32_t low) {
    if (apic_mode == Mode::kX2Apic) {
        wrmsr(0x800 + kIcrLow / 16, (uint64_t{apic_id} << 32) | low);  // one 64-bit ICR MSR
        return;
    }
    while (mmio[kIcrLow / 4] & kIcrDeliveryPending) pause();
    mmio[kIcrHigh / 4] = apic_id << 24;
    mmio[kIcrLow / 4] = low;
}

// The 8259 PICs: SeaBIOS leaves them delivering IRQs at vectors 8..15, on top
// of the CPU exceptions. Remap to 0x20..0x2f, then mask every line.
void disable_legacy_pic() {
    constexpr uint16_t kMasterCmd = 0x20, kMasterData = 0x21, kSlaveCmd = 0xa0, kSlaveData = 0xa1;
    outb(kMasterCmd, 0x11);  // ICW1: init, ICW4 follows
    outb(kSlaveCmd, 0x11);
    outb(kMasterData, 0x20);  // ICW2: vector base
    outb(kSlaveData, 0x28);
    outb(kMasterData, 0x04);  // ICW3: slave on IRQ2
    outb(kSlaveData, 0x02);
    outb(kMasterData, 0x01);  // ICW4: 8086 mode
    outb(kSlaveData, 0x01);
    outb(kMasterData, 0xff);  // mask all
    outb(kSlaveData, 0xff);
}

}  // namespace

Result<void> init_bsp(MapDevice map_device) {
    disable_legacy_pic();
    if (test_bit(cpuid(1).ecx, kCpuidX2ApicBit)) {
        apic_mode = Mode::kX2Apic;
        return {};
    }
    apic_mode = Mode::kXApic;
    const PhysAddr base(rdmsr(kMsrApicBase) & bit_mask(12, 40));
    WARDEN_TRY(va, map_device(base));
    mmio = reinterpret_cast<volatile uint32_t*>(va.raw());
    return {};
}

void init_this_cpu() {
    // xAPIC must be enabled before x2APIC mode is switched on (SDM 11.12.5).
    const uint64_t base = rdmsr(kMsrApicBase) | kApicBaseEnable;
    wrmsr(kMsrApicBase, base);
    if (apic_mode == Mode::kX2Apic) wrmsr(kMsrApicBase, base | kApicBaseX2);
    write(kTpr, 0);
    write(kLvtLint0, kLvtMasked);
    write(kLvtLint1, kLvtMasked);
    write(kLvtError, kLvtMasked);
    write(kLvtTimer, kLvtMasked);
    write(kEsr, 0);
    write(kSvr, kSvrEnable | kSpuriousVector);
}

Mode mode() { return apic_mode; }

uint32_t this_apic_id() { return apic_mode == Mode::kX2Apic ? read(kId) : read(kId) >> 24; }

void eoi() { write(kEoi, 0); }

void send_fixed(uint32_t apic_id, uint8_t vector) { send_icr(apic_id, vector); }
void send_fixed_all_but_self(uint8_t vector) { send_icr(0, kIcrAllButSelf | vector); }
void send_nmi_all_but_self() { send_icr(0, kIcrAllButSelf | kIcrModeNmi); }
void send_init(uint32_t apic_id) { send_icr(apic_id, kIcrModeInit | kIcrLevelAssert); }
void send_startup(uint32_t apic_id, uint8_t page) { send_icr(apic_id, kIcrModeStartup | kIcrLevelAssert | page); }

void calibrate_timer() {
    constexpr uint64_t kWindowUs = 1000;
    write(kTimerDivide, kTimerDivideBy16);
    write(kLvtTimer, kLvtMasked);
    write(kTimerInitial, 0xffffffff);
    const uint64_t start = rdtsc();
    while (tsc_delta_us(start, rdtsc()) < kWindowUs) pause();
    const uint32_t elapsed = 0xffffffff - read(kTimerCurrent);
    write(kTimerInitial, 0);
    ticks_per_second = uint64_t{elapsed} * 1'000'000 / kWindowUs;
}

void start_timer() {
    write(kTimerDivide, kTimerDivideBy16);
    write(kLvtTimer, kLvtPeriodic | kTimerVector);
    write(kTimerInitial, static_cast<uint32_t>(ticks_per_second / kTickHz));
}

uint64_t timer_hz() { return ticks_per_second; }

}  // namespace warden::arch::apic
