// libFuzzer target: SVSM core calls with arbitrary registers and guest memory.
// The invariant: no service is ever asked to touch memory that is not the
// guest's (the SVSM's own pages sit in the middle of the guest's).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "warden/svsm/core.hpp"

namespace {
using namespace warden;
using namespace warden::svsm;

constexpr uint64_t kTop = 64 << 10, kSvsmBase = 16 << 10, kSvsmEnd = 32 << 10;

class Guest final : public GuestServices {
public:
    bool in_guest_hands(PhysRange r) const override {
        if (r.size == 0 || r.end().raw() < r.base.raw() || r.end().raw() > kTop) return false;
        return !r.overlaps(PhysRange{PhysAddr(kSvsmBase), kSvsmEnd - kSvsmBase});
    }
    bool apic_id_exists(uint32_t id) const override { return id < 8; }
    Result<void> create_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t) override {
        check(vmsa, kPageSize);
        check(caa, kPageSize);
        return {};
    }
    Result<void> delete_vcpu(PhysAddr) override { return Fail(Error::kNotFound); }
    void check(PhysAddr gpa, uint64_t len) const {
        if (!in_guest_hands(PhysRange{gpa, len})) __builtin_trap();
    }
    uint8_t mem[kTop] = {};

private:
    Result<void> copy_from_guest(PhysAddr gpa, void* out, size_t len) override {
        check(gpa, len);
        std::memcpy(out, mem + gpa.raw(), len);
        return {};
    }
    Result<void> copy_to_guest(PhysAddr gpa, const void* in, size_t len) override {
        check(gpa, len);
        std::memcpy(mem + gpa.raw(), in, len);
        return {};
    }
    Result<PvalidateOutcome> change_validation(PhysAddr page, bool huge, bool) override {
        check(page, huge ? kLargePageSize : kPageSize);
        return static_cast<PvalidateOutcome>(mem[0] & 3);
    }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 40) return 0;
    static Guest g;
    std::memset(g.mem, 0, sizeof g.mem);
    // The rest of the input lands at a page the registers likely name.
    const size_t tail = size - 40 < 8192 ? size - 40 : 8192;
    std::memcpy(g.mem + 0x1000, data + 40, tail);
    uint64_t regs[5];
    std::memcpy(regs, data, sizeof regs);
    CallRegs r{.rax = call_rax(static_cast<uint32_t>(regs[0] >> 62), static_cast<uint32_t>(regs[0] & 15)),
               .rcx = regs[1] % (2 * kTop),
               .rdx = regs[2] % (2 * kTop),
               .r8 = regs[3] & 15,
               .r9 = regs[4]};
    if (regs[0] & 16) r.rcx = regs[1];  // sometimes a wild address
    VcpuState vcpu{.caa = PhysAddr(0x2000)};
    dispatch(r, vcpu, g);
    if (r.rax != kSuccess && (r.rax < 0x80000000 || r.rax > 0x80001010)) __builtin_trap();
    return 0;
}
