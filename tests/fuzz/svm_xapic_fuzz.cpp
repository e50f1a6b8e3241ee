// libFuzzer target: a guest VMPL's accesses to its own xAPIC registers
// (svm/xapic.hpp) in any order, with time moving on, and the host's
// delivery (update, pending vector, acknowledge) between them. Invariants:
// the ID is the host's until the guest writes it (QEMU's apic.c takes ID
// writes), the version never changes; the timer's current count never exceeds
// its initial count; a pending vector is 16..255 and its IRR bit reads set;
// acknowledging it moves it to ISR; PPR never reads below the TPR's class.
#include <cstddef>
#include <cstdint>

#include "warden/svm/xapic.hpp"

namespace {

using namespace warden::svm;

void check(bool ok) {
    if (!ok) __builtin_trap();
}

bool bit(const VirtualXapic& a, uint32_t base, int vector, uint64_t now) {
    return (a.read(base + 0x10 * (static_cast<uint32_t>(vector) / 32), now) >> (vector % 32)) & 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    constexpr uint32_t kId = 0x01000000, kVersion = 0x50014;
    VirtualXapic a(kId, kVersion);
    uint64_t now = 0;
    bool id_written = false;
    for (size_t i = 0; i + 6 <= size; i += 6) {
        const uint32_t offset = uint32_t{data[i]} << 4;  // the 64 registers of the page
        const uint32_t value = uint32_t{data[i + 1]} | uint32_t{data[i + 2]} << 8 | uint32_t{data[i + 3]} << 16 |
                               static_cast<uint32_t>(data[i + 4] & 0x0f) << 24 | (data[i + 4] & 0x80 ? 0x10000u : 0);
        now += uint64_t{data[i + 5]} * data[i + 5] * 64;
        if (data[i] & 0x80 || offset >= 0x1000)
            (void)a.read(offset & 0xff0, now);
        else
            (void)a.write(offset, value, now), id_written |= offset == kXapicId;
        a.update(now);
        check(a.read(kXapicId, now) == kId || id_written);
        check(a.read(kXapicVersion, now) == kVersion);
        check(a.timer_current(now) <= a.read(kXapicTimerInitial, now));
        check((a.read(0xa0, now) & 0xf0) >= (a.read(kXapicTpr, now) & 0xf0));
        const int v = a.pending_vector();
        if (v >= 0) {
            check(v >= 16 && v <= 255);
            check(bit(a, 0x200, v, now));
            if (data[i + 5] & 1) {
                a.acknowledge(static_cast<uint8_t>(v));
                check(bit(a, 0x100, v, now) && !bit(a, 0x200, v, now));
            }
        }
    }
    return 0;
}
