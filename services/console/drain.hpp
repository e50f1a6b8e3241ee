// The loop every console implementation shares: take what the kernel put in
// the log ring and hand it to the device, byte by byte; wake every tick.
#pragma once

#include "service.hpp"

namespace console {

template <typename PutByte>
[[noreturn]] void run(PutByte put) {
    auto* ring = reinterpret_cast<volatile warden::abi::LogRing*>(warden::abi::kLogRingAddress);
    constexpr uint64_t kBytes = warden::abi::LogRing::kBytes;
    svc::Message m;
    for (;;) {
        const uint64_t head = ring->head;
        uint64_t tail = ring->tail;
        if (head - tail > kBytes) tail = head - kBytes;  // never read past what the kernel wrote
        for (; tail != head; ++tail) put(ring->data[tail % kBytes]);
        ring->tail = tail;
        (void)svc::receive(0, m, 10);  // a message, or 10 ms: either way look again
    }
}

}  // namespace console
