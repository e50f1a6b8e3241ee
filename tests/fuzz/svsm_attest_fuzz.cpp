// libFuzzer target: the attestation protocol's operation structures (guest memory).
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/svsm/attest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace warden::svsm;
    const std::span<const uint8_t> in(data, size);
    auto op = parse_attest_services(in);
    if (op) {
        if (op->nonce_size != kNonceSize || op->report.raw() % 4096 || op->manifest.raw() % 4096) __builtin_trap();
    }
    auto single = parse_attest_single_service(in);
    if (single && !op) __builtin_trap();  // the single-service form extends the other
    return 0;
}
