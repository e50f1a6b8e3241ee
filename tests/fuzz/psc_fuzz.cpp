// libFuzzer target: page-state changes against a hypervisor that answers with
// arbitrary headers and results (the hypervisor is untrusted). The loop must
// end, and succeed only if every entry was reported done.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "warden/sev/page_state.hpp"

namespace {
using namespace warden::sev;

class ChaoticHypervisor final : public Hypervisor {
public:
    ChaoticHypervisor(const uint8_t* d, size_t n) : data(d), size(n) {}
    warden::Result<void> vmgexit(Ghcb& g) override {
        if (++exits > 10000) __builtin_trap();  // the caller must stop a hypervisor that makes no progress
        auto buf = g.shared_buffer();
        for (int i = 0; i < 4; ++i) buf[i] = next();
        g.set(GhcbField::kSwExitInfo1, next() < 8 ? 1 : 0);
        return {};
    }
    uint8_t next() { return size ? data[pos++ % size] : 0; }
    const uint8_t* data;
    size_t size, pos = 0;
    int exits = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const size_t n = 1 + (data[0] | (data[1] << 8)) % 600;
    std::vector<PscRequest> reqs;
    for (size_t i = 0; i < n; ++i) reqs.push_back({0x1000 + i, PscOp::kShared, false});
    auto ghcb = std::make_unique<Ghcb>();
    ChaoticHypervisor hv(data + 2, size - 2);
    (void)change_page_state(hv, *ghcb, 0x7000000, reqs);
    return 0;
}
