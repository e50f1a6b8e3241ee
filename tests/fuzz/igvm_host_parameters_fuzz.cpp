// libFuzzer target: the host's placement of its parameters into a fuzzed
// IGVM file's parameter areas (1 MiB of guest memory; writes must stay inside).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "warden/igvm/host_parameters.hpp"

namespace {
class Guest final : public warden::igvm::GuestWindow {
public:
    std::vector<uint8_t> mem = std::vector<uint8_t>(1u << 20);
    std::span<uint8_t> bytes(uint64_t gpa, uint64_t len) override {
        if (gpa > mem.size() || len > mem.size() - gpa) return {};
        return {mem.data() + gpa, static_cast<size_t>(len)};
    }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto file = std::make_unique<warden::igvm::File>();
    if (!warden::igvm::parse(std::span<const uint8_t>(data, size), *file)) return 0;
    static Guest guest;
    (void)warden::igvm::place_host_parameters(*file, {.ram_bytes = 1u << 20, .vcpus = 4}, guest);
    return 0;
}
