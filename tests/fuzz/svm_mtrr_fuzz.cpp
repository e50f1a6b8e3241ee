// libFuzzer target: the guest's MTRR writes and reads (values from the
// guest's GHCB). A refused write changes nothing; an accepted one reads back.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "warden/svm/mtrr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    warden::svm::Mtrrs m;
    for (size_t at = 0; at + 12 <= size; at += 12) {
        uint32_t msr;
        uint64_t value;
        std::memcpy(&msr, data + at, 4);
        std::memcpy(&value, data + at + 4, 8);
        msr = 0xfe + (msr % 0x210);  // MTRRcap .. past the variable pairs, and the fixed ranges among them
        const warden::svm::Mtrrs before = m;
        uint64_t written = value;
        const auto r = warden::svm::mtrr_access(m, msr, true, written, 48);
        if (r != warden::svm::MtrrAccess::kDone && std::memcmp(&before, &m, sizeof m) != 0) __builtin_trap();
        uint64_t back = 0;
        if (r == warden::svm::MtrrAccess::kDone &&
            (warden::svm::mtrr_access(m, msr, false, back, 48) != warden::svm::MtrrAccess::kDone || back != value))
            __builtin_trap();
    }
    return 0;
}
