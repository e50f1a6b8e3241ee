// 16550 UART driver for the early console (register layout: PC16550D data
// sheet; COM1 base 0x3F8 as on every PC and QEMU).
#include "console/early_console.hpp"

#include "arch/x86_64/cpu.hpp"

namespace warden::console {
namespace {

constexpr uint16_t kCom1 = 0x3f8;
constexpr uint16_t kData = 0, kIer = 1, kFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5;
constexpr uint8_t kLcrDlab = 0x80, kLcr8N1 = 0x03;
constexpr uint8_t kFcrEnableClear = 0xc7;  // FIFO on, both cleared, 14-byte trigger
constexpr uint8_t kMcrDtrRtsOut2 = 0x0b;
constexpr uint8_t kLsrThrEmpty = 0x20;
constexpr unsigned kFifoDepth = 16;

class Uart final : public fmt::Sink {
public:
    void write(std::string_view text) override {
        if (holding_) {
            for (char c : text) {
                if (held_ < sizeof held_text_) held_text_[held_++] = c;
            }
            return;
        }
        for (char c : text) {
            if (c == '\n') put('\r');
            put(c);
        }
    }

private:
    // When THR is empty the whole FIFO is free: one status read per 16 bytes
    // keeps port I/O (slow under nested KVM) down.
    void put(char c) {
        if (room_ == 0) {
            while (!(arch::inb(kCom1 + kLsr) & kLsrThrEmpty)) arch::pause();
            room_ = kFifoDepth;
        }
        arch::outb(kCom1 + kData, static_cast<uint8_t>(c));
        --room_;
    }

    unsigned room_ = 0;

public:
    // Until the UART may be touched (SNP: port IO needs the GHCB), lines wait here.
    bool holding_ = false;
    char held_text_[16 * 1024];
    size_t held_ = 0;
};

Uart uart;

}  // namespace

void hold() { uart.holding_ = true; }

void init() {
    arch::outb(kCom1 + kIer, 0);
    arch::outb(kCom1 + kLcr, kLcrDlab);
    arch::outb(kCom1 + kData, 1);  // divisor 1: 115200 baud
    arch::outb(kCom1 + kIer, 0);
    arch::outb(kCom1 + kLcr, kLcr8N1);
    arch::outb(kCom1 + kFcr, kFcrEnableClear);
    arch::outb(kCom1 + kMcr, kMcrDtrRtsOut2);
    if (uart.holding_) {
        uart.holding_ = false;
        uart.write(std::string_view(uart.held_text_, uart.held_));
        if (uart.held_ == sizeof uart.held_text_) uart.write("[early log truncated]\n");
        uart.held_ = 0;
    }
}

fmt::Sink& sink() { return uart; }

}  // namespace warden::console
