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
#include "warden/log_line.hpp"

namespace warden::task::log_ring {
namespace {

abi::LogRing* ring = nullptr;
uint64_t head = 0;  // the kernel's copy
uint64_t dropped_lines = 0;
uint64_t unreported_drops = 0;
bool is_attached = false;

// Lines go into the ring whole or not at all: a line cut where the ring
// filled would let the next line's text join it, or start a line with text
// that was never at the start of one. Every write comes under log::lock(),
// so one line buffer serves all CPUs.
class RingSink final : public fmt::Sink {
public:
    void write(std::string_view text) override {
        for (char c : text) {
            line_[size_++] = c;
            if (c == '\n' || size_ == sizeof line_) commit();  // a kernel line past 2 KiB goes in parts
        }
    }

private:
    static uint64_t room() {
        const uint64_t tail = ring->tail;
        const uint64_t used = head - tail <= abi::LogRing::kBytes ? head - tail : abi::LogRing::kBytes;
        return abi::LogRing::kBytes - used;
    }
    static void put(std::string_view text) {
        for (char c : text) ring->data[head++ % abi::LogRing::kBytes] = c;
        asm volatile("" ::: "memory");
        ring->head = head;
    }
    // The notice of lost lines goes in just before the next line that fits with it.
    void commit() {
        const std::string_view line(line_, size_);
        size_ = 0;
        fmt::FixedString<96> notice;
        if (unreported_drops != 0)
            fmt::format(notice, "warn:  log: the ring was full: {} lines lost\n", unreported_drops);
        if (room() < notice.view().size() + line.size()) {
            ++dropped_lines;
            ++unreported_drops;
            return;
        }
        put(notice.view());
        put(line);
        unreported_drops = 0;
    }

    char line_[2048];
    size_t size_ = 0;
};
static_assert(log_line::kMaxLine <= 2048, "a task line is committed in one piece");
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
    // Claim the rest in one exchange: the console claims byte by byte
    // (services/console/drain.hpp), so it stops at the byte it is writing and
    // nothing is written twice or interleaved with it.
    uint64_t tail = __atomic_exchange_n(&ring->tail, head, __ATOMIC_ACQ_REL);
    if (head - tail > abi::LogRing::kBytes) tail = head - abi::LogRing::kBytes;
    for (; tail != head; ++tail) {
        const char c = ring->data[tail % abi::LogRing::kBytes];
        console::sink().write(std::string_view(&c, 1));
    }
}

uint64_t dropped() { return dropped_lines; }

}  // namespace warden::task::log_ring
