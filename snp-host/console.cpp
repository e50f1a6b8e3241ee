// COM1 and isa-debug-exit for the host.
#include "console.hpp"

#include "cpu.hpp"

namespace snp_host {

void console_init() {
    // 16550: 115200 baud (divisor 1), 8N1, FIFO on (National PC16550D data sheet).
    cpu::outb(kCom1 + 1, 0x00);
    cpu::outb(kCom1 + 3, 0x80);
    cpu::outb(kCom1 + 0, 0x01);
    cpu::outb(kCom1 + 1, 0x00);
    cpu::outb(kCom1 + 3, 0x03);
    cpu::outb(kCom1 + 2, 0xc7);
}

void console_write(std::string_view text) {
    for (char c : text) {
        if (c == '\n') console_write("\r");
        while (!(cpu::inb(kCom1 + 5) & 0x20)) {
        }
        cpu::outb(kCom1, static_cast<uint8_t>(c));
    }
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
