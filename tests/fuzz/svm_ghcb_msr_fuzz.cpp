// libFuzzer target: the host's decoding of a guest's GHCB MSR value.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "warden/svm/ghcb_msr_server.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 8) return 0;
    uint64_t v;
    std::memcpy(&v, data, 8);
    auto r = warden::svm::decode_request(v);
    if (r && r->vmpl > 3) __builtin_trap();
    if (r && r->code == warden::sev::msr::Code::kPageStateRequest && r->page_operation != 1 && r->page_operation != 2)
        __builtin_trap();
    return 0;
}
