// libFuzzer target: #VC handling with arbitrary instruction bytes, registers
// and hypervisor answers (which fields it marks valid, what it returns).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "warden/sev/vc.hpp"

namespace {
using namespace warden::sev;

struct Input {
    const uint8_t* data;
    size_t size, pos = 0;
    uint8_t next() { return size ? data[pos++ % size] : 0; }
    uint64_t next64() {
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | next();
        return v;
    }
};

class ChaoticHv final : public Hypervisor {
public:
    explicit ChaoticHv(Input& in) : in_(in) {}
    warden::Result<void> vmgexit(Ghcb& g) override {
        if (++exits > 100) __builtin_trap();  // string IO moves at least one element per exit
        for (GhcbField f : {GhcbField::kRax, GhcbField::kRbx, GhcbField::kRcx, GhcbField::kRdx}) {
            if (in_.next() & 1) g.set(f, in_.next64());
        }
        g.set(GhcbField::kSwExitInfo1, in_.next() < 16 ? 1 : 0);
        for (auto& b : g.shared_buffer().first(8)) b = in_.next();
        return {};
    }
    Input& in_;
    int exits = 0;
};

class Mem final : public VcMemory {
public:
    bool read(uint64_t va, void* out, size_t len) override {
        if (va > sizeof bytes || len > sizeof bytes - va) return false;
        std::memcpy(out, bytes + va, len);
        return true;
    }
    bool write(uint64_t va, const void* in, size_t len) override {
        if (va > sizeof bytes || len > sizeof bytes - va) return false;
        std::memcpy(bytes + va, in, len);
        return true;
    }
    bool translate_shared(uint64_t va, uint64_t& gpa) override {
        gpa = va & 0xffffffffff;
        return va & 1;
    }
    uint8_t bytes[8192] = {};
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 24) return 0;
    static const uint64_t kCodes[] = {exit::kCpuid, exit::kIoio, exit::kMsr, exit::kRdtsc, exit::kRdtscp, 0x400};
    Input in{data + 16, size - 16};
    VcRegs r{};
    r.rcx = data[0] % 64;  // bounded REP counts keep a run short
    r.rdx = data[1] | (data[2] << 8);
    r.rsi = data[3] * 16u;
    r.rdi = data[4] * 16u;
    auto ghcb = std::make_unique<Ghcb>();
    ChaoticHv hv(in);
    Mem mem;
    r.rbx = in.next64();
    r.r13 = in.next64();
    (void)handle_vc(kCodes[data[5] % 6], r, std::span<const uint8_t>(data + 6, 10), VcContext{*ghcb, 0x9000, hv, mem});
    return 0;
}
