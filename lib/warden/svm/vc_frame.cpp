// Software delivery of an exception frame (vc_frame.hpp).
#include "warden/svm/vc_frame.hpp"

#include "warden/bytes.hpp"

namespace warden::svm {
namespace {

// The descriptor's S bit: set for code and data segments, clear for system
// descriptors such as gates (APM vol. 2 4.7, 4.8.3); an IDT entry with it
// set is a #GP on delivery (8.2.13 / SDM vol. 3A 6.12.1.1 name only gates).
constexpr uint8_t kDescriptorS = 0x10;

bool canonical(uint64_t v) {
    const uint64_t top = v >> 47;
    return top == 0 || top == 0x1ffff;
}

// The first 8 bytes, which 64-bit and 32-bit gates share (APM vol. 2
// figures 4-24 and 4-26): present, a system descriptor of an interrupt or
// trap gate type (0xE, 0xF in both tables 4-5 and 4-6), a non-null
// selector, the handler's low 32 bits.
Result<IdtGate> decode_gate_low(std::span<const uint8_t> b) {
    const uint8_t attr = b[5];
    if (!(attr & 0x80)) return Fail(Error::kNotFound);
    if (attr & kDescriptorS) return Fail(Error::kInvalidArgument);  // a code or data segment, not a gate
    IdtGate g;
    g.type = attr & 0x0f;
    g.dpl = (attr >> 5) & 3;
    g.selector = load_le<uint16_t>(b, 2);
    g.handler = uint64_t{load_le<uint16_t>(b, 0)} | (uint64_t{load_le<uint16_t>(b, 6)} << 16);
    if (g.type != kGateInterrupt && g.type != kGateTrap) return Fail(Error::kInvalidArgument);
    if ((g.selector & ~3u) == 0) return Fail(Error::kInvalidArgument);
    return g;
}

}  // namespace

Result<IdtGate> decode_gate(std::span<const uint8_t, kIdtGateSize> b) {
    WARDEN_TRY(g, decode_gate_low(b));
    g.ist = b[4] & 7;
    g.handler |= uint64_t{load_le<uint32_t>(b, 8)} << 32;
    if (!canonical(g.handler)) return Fail(Error::kInvalidArgument);
    return g;
}

size_t tss_stack_offset(const IdtGate& gate, uint8_t cpl) {
    if (gate.ist) return 0x24 + 8 * (gate.ist - 1u);
    if (cpl != 0) return 0x04;
    return 0;
}

Result<Delivery> build_exception_frame(const Interrupted& at, const IdtGate& gate, uint64_t error_code,
                                       uint64_t stack_top) {
    if ((gate.selector & 3) != 0) return Fail(Error::kUnsupported);  // handlers run at CPL 0 here
    const bool switch_stack = tss_stack_offset(gate, at.cpl) != 0;
    const uint64_t top = switch_stack ? stack_top : at.rsp;
    if (!canonical(top)) return Fail(Error::kInvalidArgument);
    Delivery d;
    d.rsp = (top & ~uint64_t{15}) - sizeof(d.frame);
    d.rip = gate.handler;
    d.cs = gate.selector;
    d.ss = at.cpl != 0 ? 0 : at.ss;
    d.rflags = at.rflags & ~(kRflagsTf | kRflagsNt | kRflagsRf);
    if (gate.type == kGateInterrupt) d.rflags &= ~kRflagsIf;
    d.frame = {error_code, at.rip, at.cs, at.rflags, at.rsp, at.ss};
    return d;
}

Result<uint16_t> code_segment_attributes(std::span<const uint8_t, kSegmentDescriptorSize> d) {
    const uint8_t access = d[5], flags = static_cast<uint8_t>(d[6] >> 4);
    const bool present = access & 0x80, code = (access & 0x18) == 0x18, dpl0 = (access & 0x60) == 0;
    const bool long_mode = (flags & 0x2) != 0 && (flags & 0x4) == 0;  // L set, D clear
    if (!present || !code || !dpl0 || !long_mode) return Fail(Error::kInvalidArgument);
    return static_cast<uint16_t>(access | (uint16_t{flags} << 8));
}

Result<IdtGate> decode_gate32(std::span<const uint8_t, kIdtGate32Size> b) { return decode_gate_low(b); }

Result<Delivery32> build_exception_frame32(const Interrupted& at, const IdtGate& gate, uint32_t error_code) {
    constexpr uint64_t kEflagsVm = 1u << 17;
    // From virtual-8086 mode the CPU changes to CPL 0 and pushes the data
    // segments and SS:ESP too (APM vol. 2 8.9.3): not this frame.
    if (gate.selector != at.cs || (at.rflags & kEflagsVm)) return Fail(Error::kUnsupported);
    Delivery32 d;
    d.esp = static_cast<uint32_t>(at.rsp) - sizeof(d.frame);
    d.eip = static_cast<uint32_t>(gate.handler);
    d.cs = gate.selector;
    d.eflags = static_cast<uint32_t>(at.rflags & ~(kRflagsTf | kRflagsNt | kRflagsRf | kEflagsVm));
    if (gate.type == kGateInterrupt) d.eflags &= ~static_cast<uint32_t>(kRflagsIf);
    d.frame = {error_code, static_cast<uint32_t>(at.rip), at.cs, static_cast<uint32_t>(at.rflags)};
    return d;
}

}  // namespace warden::svm
