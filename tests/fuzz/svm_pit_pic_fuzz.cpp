// libFuzzer target: the guest's port accesses to the VM's 8254 and 8259s
// (svm/pit.hpp, svm/pic.hpp) in any order, with time moving on and IRQ0's
// edges fed to the PICs and acknowledged as the host does. Invariants after
// every step: each channel's count is 1..65536 and its mode 0..5; the
// counter latch holds at most two bytes; a vector the PICs offer is the
// base of the controller it comes from plus an IRQ; acknowledging takes
// the offered vector and leaves the IRQ in service (or, in automatic EOI,
// not); the ELCR holds no bit its mask forbids; nothing is offered before
// the master's ICWs.
#include <cstddef>
#include <cstdint>

#include "warden/svm/pic.hpp"
#include "warden/svm/pit.hpp"

namespace {

using namespace warden::svm;

constexpr uint16_t kPorts[] = {0x40, 0x41, 0x42, 0x43, 0x61, 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1};

void check(bool ok) {
    if (!ok) __builtin_trap();
}

void check_pit(const Pit& pit) {
    for (unsigned i = 0; i < 3; ++i) {
        const PitChannel& c = pit.channel(i);
        check(c.count >= 1 && c.count <= kPitMaxCount);
        check(c.mode <= 5);
        check(c.latch_bytes_left <= 2);
        check(c.count_latched == (c.latch_bytes_left != 0));
    }
}

void check_pic(PicPair& pic) {
    check((pic.master().elcr & ~pic.master().elcr_mask) == 0);
    check((pic.slave().elcr & ~pic.slave().elcr_mask) == 0);
    const auto v = pic.pending_vector();
    if (!pic.master().initialised) check(!v);
    if (!v) return;
    const bool from_master = (*v & 0xf8) == pic.master().base;
    const bool from_slave = (*v & 0xf8) == pic.slave().base;
    check(from_master || from_slave);
    const Pic8259 master = pic.master();
    const auto taken = pic.acknowledge();
    check(taken == v);
    if (from_master && !from_slave && !master.auto_eoi) check(pic.master().isr & (1u << (*v & 7)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Pit pit;
    PicPair pic;
    uint64_t now = 0;
    for (size_t i = 0; i + 2 < size; i += 3) {
        const uint8_t op = data[i], value = data[i + 1], step = data[i + 2];
        now += uint64_t{step} * step * 7;
        const uint16_t port = kPorts[(op & 0x7f) % (sizeof kPorts / sizeof kPorts[0])];
        const bool in = op & 0x80;
        if (port == kPortB) {
            if (in)
                (void)pit.read_port_b(now);
            else
                pit.write_port_b(value, now);
        } else if (port <= kPitCommand) {
            if (in)
                (void)pit.read(port, now);
            else
                (void)pit.write(port, value, now);
        } else if (in) {
            (void)pic.read(port);
        } else {
            (void)pic.write(port, value);
        }
        if (pit.take_irq0_edges(now) != 0) pic.raise_edge(0);
        check(pit.next_irq0_edge(now) > now || pit.next_irq0_edge(now) == ~uint64_t{0});
        check_pit(pit);
        if (step & 1) check_pic(pic);
    }
    return 0;
}
