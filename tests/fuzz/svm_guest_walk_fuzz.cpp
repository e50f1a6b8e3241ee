// libFuzzer target: the host's walk of a guest's page tables (guest memory
// is the input: 16 KiB of tables, then the address).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "warden/svm/guest_walk.hpp"

namespace {
class Mem final : public warden::svm::GuestPhysReader {
public:
    Mem(const uint8_t* d, size_t n) : d_(d), n_(n) {}
    bool read_u64(uint64_t gpa, uint64_t& out) override {
        if (gpa > n_ || n_ - gpa < 8) return false;
        std::memcpy(&out, d_ + gpa, 8);
        return true;
    }

private:
    const uint8_t* d_;
    size_t n_;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 17) return 0;
    uint64_t va, cr3;
    std::memcpy(&va, data, 8);
    std::memcpy(&cr3, data + 8, 8);
    Mem m(data + 17, size - 17);
    auto t = warden::svm::walk(m, cr3 & 0x3fff, uint64_t{1} << 47, va, data[16] & 1);
    if (t && (t->gpa & (uint64_t{1} << 47))) __builtin_trap();  // the C-bit is never an address bit
    return 0;
}
