// libFuzzer target: the #VC frame builders (long mode and 32-bit protected
// mode) over a guest's IDT gate, TSS value and interrupted state (all
// guest-controlled).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "warden/svm/vc_frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 16 + 8 * 4 + 5) return 0;
    uint64_t v[4];
    std::memcpy(v, data + 16, sizeof v);
    warden::svm::Interrupted at{.rip = v[0],
                                .rsp = v[1],
                                .rflags = v[2],
                                .cs = data[48],
                                .ss = data[49],
                                .cpl = static_cast<uint8_t>(data[50] & 3)};
    if (auto gate = warden::svm::decode_gate(std::span<const uint8_t, 16>(data, 16))) {
        (void)warden::svm::tss_stack_offset(*gate, at.cpl);
        auto d = warden::svm::build_exception_frame(at, *gate, data[51], v[3]);
        if (d && ((d->rsp & 15) != 0 || (d->rflags & warden::svm::kRflagsTf) || d->frame[1] != at.rip))
            __builtin_trap();
    }
    // The first 8 bytes as a 32-bit gate: the frame is 16 bytes below the
    // interrupted ESP and holds its EIP, CS and EFLAGS; the handler's CS is the same.
    if (auto g32 = warden::svm::decode_gate32(std::span<const uint8_t, 8>(data, 8))) {
        if (data[5] & 0x10) __builtin_trap();  // a segment descriptor (S set) is never a gate
        auto d = warden::svm::build_exception_frame32(at, *g32, data[51]);
        if (d && (at.rflags & (1u << 17))) __builtin_trap();  // never a frame from virtual-8086 mode
        if (d && (d->esp != static_cast<uint32_t>(at.rsp) - 16 || d->frame[1] != static_cast<uint32_t>(at.rip) ||
                  d->frame[2] != at.cs || (d->eflags & warden::svm::kRflagsTf) || d->cs != at.cs))
            __builtin_trap();
    }
    return 0;
}
