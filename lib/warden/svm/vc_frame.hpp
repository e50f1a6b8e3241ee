// Delivering an exception with an error code by building its frame in
// software: what the emulated SNP host does for #VC (vector 29), because
// TCG's EVENTINJ drops the error code of any vector but 8, 10-14 and 17
// (probe section 3). The rules are the long-mode interrupt delivery of AMD
// APM vol. 2 8.9 (64-bit IDT gates, 8.9.1; stack switch and IST, 8.9.2-8.9.4;
// the frame and RFLAGS, 8.9.3). The IDT gate and the TSS are guest memory:
// the caller copies them, these functions check them.
#pragma once

#include <array>
#include <span>

#include "warden/result.hpp"

namespace warden::svm {

inline constexpr size_t kIdtGateSize = 16;
inline constexpr uint8_t kGateInterrupt = 0xe, kGateTrap = 0xf;  // APM vol. 2 table 4-6, long mode

struct IdtGate {
    uint64_t handler = 0;
    uint16_t selector = 0;
    uint8_t ist = 0;   // 0: no IST; 1..7: TSS IST n
    uint8_t type = 0;  // kGateInterrupt or kGateTrap
    uint8_t dpl = 0;
};

// kNotFound: the gate is not present; kInvalidArgument: not a 64-bit
// interrupt or trap gate, a non-canonical handler, or a null selector.
Result<IdtGate> decode_gate(std::span<const uint8_t, kIdtGateSize> bytes);

// Where the new stack pointer comes from, in the 64-bit TSS (APM vol. 2
// figure 12-8): IST n at 0x24 + 8 (n - 1), RSP0 at 0x04; 0 when
// the frame goes on the interrupted stack (no IST, no privilege change).
size_t tss_stack_offset(const IdtGate& gate, uint8_t cpl);

struct Interrupted {
    uint64_t rip = 0, rsp = 0, rflags = 0;
    uint16_t cs = 0, ss = 0;
    uint8_t cpl = 0;
};

struct Delivery {
    uint64_t rsp = 0, rip = 0, rflags = 0;
    uint16_t cs = 0, ss = 0;
    // Written at rsp upwards: error code, RIP, CS, RFLAGS, RSP, SS.
    std::array<uint64_t, 6> frame{};
};

inline constexpr uint64_t kRflagsTf = 1u << 8, kRflagsIf = 1u << 9, kRflagsNt = 1u << 14, kRflagsRf = 1u << 16;

// stack_top: the TSS value at tss_stack_offset (ignored when that is 0).
// The frame starts 16-byte aligned below the stack top; the handler runs
// at CPL 0 (a gate to another CPL is refused: kUnsupported), with TF, NT
// and RF clear, IF clear through an interrupt gate; SS becomes the null
// selector on a privilege change. kInvalidArgument: a non-canonical
// stack top.
Result<Delivery> build_exception_frame(const Interrupted& at, const IdtGate& gate, uint64_t error_code,
                                       uint64_t stack_top);

// A delivery from CPL 3 changes CS to the gate's selector (APM vol. 2
// 8.9.2-8.9.3): the CPU loads it from its GDT descriptor, which must be a
// present, 64-bit (L set, D clear) code segment of DPL 0 (4.8.1, 4.8.2;
// else #GP, which this host does not model: kInvalidArgument). Returns the
// segment's attributes as the VMCB keeps them (descriptor byte 5 in bits
// 7:0, the flags nibble of byte 6 in bits 11:8). SS becomes null with no
// attributes (8.9.2: SS = NULL, RPL = the new CPL).
inline constexpr size_t kSegmentDescriptorSize = 8;
Result<uint16_t> code_segment_attributes(std::span<const uint8_t, kSegmentDescriptorSize> descriptor);

// Protected mode outside long mode (APM vol. 2 8.7, 8.8): OVMF's reset
// vector takes its first #VC so, with paging off. Gates are 8 bytes; only
// 32-bit interrupt and trap gates (types 0xE, 0xF with D = 1) are taken.
inline constexpr size_t kIdtGate32Size = 8;

// kNotFound: not present; kInvalidArgument: not a 32-bit interrupt or trap
// gate (task gates and 16-bit gates included), or a null selector. The
// handler is the 32-bit offset; ist is 0 (no IST outside long mode).
Result<IdtGate> decode_gate32(std::span<const uint8_t, kIdtGate32Size> bytes);

struct Delivery32 {
    uint32_t esp = 0, eip = 0, eflags = 0;
    uint16_t cs = 0;
    // Written at esp upwards: error code, EIP, CS, EFLAGS (8.7.2: no
    // privilege change, so no SS:ESP).
    std::array<uint32_t, 4> frame{};
};

// Without a privilege change only: the gate's selector must be the
// interrupted CS, or the CPU would load another code segment from the GDT
// (kUnsupported: not modelled). The frame goes on the interrupted stack
// (no alignment outside long mode), with TF, NT, RF and VM cleared and IF
// too through an interrupt gate.
Result<Delivery32> build_exception_frame32(const Interrupted& at, const IdtGate& gate, uint32_t error_code);

}  // namespace warden::svm
