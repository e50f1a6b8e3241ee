// Writing into the log ring. The kernel keeps its own head; the console's
// tail is read from shared memory and clamped, never trusted.
#include "task/log_ring.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/percpu.hpp"
#include "arch/x86_64/tsc.hpp"
#include "console/early_console.hpp"
#include "log.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "task/queue.hpp"
#include "task/sched.hpp"

namespace warden::task::log_ring {
namespace {

abi::LogRing* ring = nullptr;
uint64_t head = 0;  // the kernel's copy
uint64_t dropped_bytes = 0;
bool is_attached = false;

class RingSink final : public fmt::Sink {
public:
    void write(std::string_view text) override {
        const uint64_t tail = ring->tail;
        const uint64_t used = head - tail <= abi::LogRing::kBytes ? head - tail : abi::LogRing::kBytes;
        if (abi::LogRing::kBytes - used < text.size()) {
            dropped_bytes += text.size();
            return;
        }
        for (char c : text) ring->data[head++ % abi::LogRing::kBytes] = c;
        asm volatile("" ::: "memory");
        ring->head = head;
    }
};
RingSink sink;

}  // namespace

Result<PhysAddr> create() {
    constexpr unsigned kOrder = 4;  // 16 pages
    static_assert((1u << kOrder) == abi::LogRing::kPages);
    if (ring != nullptr) return mm::direct_map_to_phys(ring);
    WARDEN_TRY(frames, mm::alloc_zeroed(kOrder));
    ring = mm::phys_to_virt<abi::LogRing>(frames);
    return frames;
}

void attach() {
    if (ring == nullptr) return;
    LockGuard guard(log::lock());
    log::set_sink(&sink);
    is_attached = true;
}

bool attached() { return is_attached; }

void flush(uint64_t timeout_us) {
    if (!is_attached) return;
    // Wake the console now rather than at its next 10 ms poll.
    (void)kernel_send("console", abi::Message{});  // full: the console is awake already
    const uint64_t start = arch::rdtsc();
    while (ring->tail != head && arch::tsc_delta_us(start, arch::rdtsc()) < timeout_us) {
        // The console may be on this CPU: let it run.
        if (task::sched::current().idle) {
            (void)task::sched::run_until([](void*) { return ring->tail == head; }, nullptr, 10'000);
        } else {
            arch::pause();
        }
    }
    drain_to_early_console();
}

void drain_to_early_console() {
    if (!is_attached) return;
    uint64_t tail = ring->tail;
    if (head - tail > abi::LogRing::kBytes) tail = head - abi::LogRing::kBytes;
    ring->tail = head;  // claim it first: the console stops at what it already read
    for (; tail != head; ++tail) {
        const char c = ring->data[tail % abi::LogRing::kBytes];
        console::sink().write(std::string_view(&c, 1));
    }
}

uint64_t dropped() { return dropped_bytes; }

}  // namespace warden::task::log_ring
