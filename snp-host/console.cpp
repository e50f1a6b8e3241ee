// COM1 and isa-debug-exit for the host.
#include "console.hpp"

#include <atomic>

#include "cpu.hpp"

namespace snp_host {
namespace {
std::atomic<unsigned> owner{0};  // 0: free, else 1 + the APIC ID holding it
unsigned depth = 0;
unsigned me() { return (cpu::cpuid(1, 0).ebx >> 24) + 1; }
}  // namespace

// Re-entrant on one CPU (a fault report while a line is being written must not
// deadlock its own CPU).
void console_lock() {
    const unsigned id = me();
    if (owner.load(std::memory_order_acquire) == id) {
        ++depth;
        return;
    }
    unsigned expected = 0;
    while (!owner.compare_exchange_weak(expected, id, std::memory_order_acquire)) {
        expected = 0;
        asm volatile("pause");
    }
    depth = 1;
}

void console_unlock() {
    if (--depth == 0) owner.store(0, std::memory_order_release);
}

void console_init() {
    // 16550: 115200 baud (divisor 1), 8N1, FIFO on (National PC16550D data sheet).
    cpu::outb(kCom1 + 1, 0x00);
    cpu::outb(kCom1 + 3, 0x80);
    cpu::outb(kCom1 + 0, 0x01);
    cpu::outb(kCom1 + 1, 0x00);
    cpu::outb(kCom1 + 3, 0x03);
    cpu::outb(kCom1 + 2, 0xc7);
}

namespace {
bool mid_line = false;  // the last byte out was not a newline (under the console lock)
}  // namespace

void console_put(uint8_t c) {
    while (!(cpu::inb(kCom1 + 5) & 0x20)) {
    }
    cpu::outb(kCom1, c);
    mid_line = c != '\n';
}

void console_write(std::string_view text) {
    for (char c : text) {
        if (c == '\n') console_put('\r');
        console_put(static_cast<uint8_t>(c));
    }
}

void console_new_line() {
    if (mid_line) console_write("\n");
}

void exit_qemu(uint32_t code) {
    cpu::outl(kDebugExitPort, code);
    cpu::halt_forever();  // without isa-debug-exit
}

void fail(std::string_view why) {
    log("FATAL: {}", why);
    exit_qemu(kExitFail);
}

}  // namespace snp_host
