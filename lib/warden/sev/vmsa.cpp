// VMSA layout: offsets from SPEC-FACTS.md 6; segment attributes in the VMCB's
// packed form (type, S, DPL, P, AVL, L, D/B, G).
#include "warden/sev/vmsa.hpp"

namespace warden::sev {
namespace {

constexpr size_t kEs = 0x000, kCs = 0x010, kSs = 0x020, kDs = 0x030, kFs = 0x040, kGs = 0x050, kGdtr = 0x060,
                 kLdtr = 0x070, kIdtr = 0x080, kTr = 0x090, kVmpl = 0x0ca, kCpl = 0x0cb, kEfer = 0x0d0, kCr4 = 0x148,
                 kCr3 = 0x150, kCr0 = 0x158, kDr7 = 0x160, kDr6 = 0x168, kRflags = 0x170, kRip = 0x178, kGpat = 0x268,
                 kRsp = 0x1d8, kRbx = 0x318, kRdi = 0x338, kSevFeatures = 0x3b0, kXcr0 = 0x3e8;
constexpr uint16_t kData32 = 0xc93;  // type 0x3, S, P, D/B, G
constexpr uint16_t kCode64 = 0xa9b;  // type 0xb, S, P, L, G
constexpr uint16_t kTss32Busy = 0x08b;
constexpr uint16_t kLdt = 0x082;

void put(std::array<uint8_t, kVmsaSize>& v, size_t at, uint64_t value, size_t n) {
    for (size_t i = 0; i < n; ++i) v[at + i] = static_cast<uint8_t>(value >> (8 * i));
}
void segment(std::array<uint8_t, kVmsaSize>& v, size_t at, uint16_t selector, uint16_t attrib, uint32_t limit) {
    put(v, at, selector, 2);
    put(v, at + 2, attrib, 2);
    put(v, at + 4, limit, 4);
    put(v, at + 8, 0, 8);
}

}  // namespace

// Flat segments, empty descriptor tables, reset debug registers and PAT,
// x87-only XCR0; the rest from the caller.
std::array<uint8_t, kVmsaSize> make_vmsa_long_mode(const LongModeState& s) {
    std::array<uint8_t, kVmsaSize> v{};
    segment(v, kCs, 0x08, kCode64, 0xffffffff);
    for (size_t at : {kEs, kSs, kDs, kFs, kGs}) segment(v, at, 0x10, kData32, 0xffffffff);
    segment(v, kGdtr, 0, 0, 0xffff);
    segment(v, kIdtr, 0, 0, 0xffff);
    segment(v, kLdtr, 0, kLdt, 0xffff);
    segment(v, kTr, 0, kTss32Busy, 0xffff);
    put(v, kVmpl, s.vmpl, 1);
    put(v, kCpl, 0, 1);
    put(v, kDr7, 0x400, 8);
    put(v, kDr6, 0xffff0ff0, 8);
    put(v, kRflags, 0x2, 8);
    put(v, kGpat, 0x0007040600070406, 8);  // the reset PAT
    put(v, kSevFeatures, s.sev_features, 8);
    put(v, kXcr0, 1, 8);
    put(v, kEfer, s.efer | kEferSvme, 8);
    put(v, kCr4, s.cr4, 8);
    put(v, kCr3, s.cr3, 8);
    put(v, kCr0, s.cr0, 8);
    put(v, kRip, s.rip, 8);
    put(v, kRsp, s.rsp, 8);
    put(v, kRbx, s.rbx, 8);
    put(v, kRdi, s.rdi, 8);
    return v;
}

}  // namespace warden::sev
