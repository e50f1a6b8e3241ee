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
        for (; tail != head; ++tail) {
            // Claim each byte before writing it: when the kernel stops the
            // system it takes the rest over (tail = head, log_ring.cpp), and
            // every byte reaches the device once, not from both of us at once.
            uint64_t seen = tail;
            if (!__atomic_compare_exchange_n(&ring->tail, &seen, tail + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                break;
            put(ring->data[tail % kBytes]);
        }
        (void)svc::receive(0, m, 10);  // a message, or 10 ms: either way look again
    }
}

}  // namespace console
