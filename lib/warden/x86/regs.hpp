// The general registers of interrupted code, by name and by the number an
// instruction's ModRM/SIB/REX fields use (0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP,
// 5 RBP, 6 RSI, 7 RDI, 8..15 R8..R15; AMD APM vol. 3, 1.4).
#pragma once

#include "warden/types.hpp"

namespace warden::x86 {

struct Registers {
    uint64_t rax = 0, rbx = 0, rcx = 0, rdx = 0, rsi = 0, rdi = 0, rbp = 0, rsp = 0;
    uint64_t r8 = 0, r9 = 0, r10 = 0, r11 = 0, r12 = 0, r13 = 0, r14 = 0, r15 = 0;
    uint64_t rip = 0;

    uint64_t& gpr(unsigned n) {
        switch (n & 15) {
        case 0: return rax;
        case 1: return rcx;
        case 2: return rdx;
        case 3: return rbx;
        case 4: return rsp;
        case 5: return rbp;
        case 6: return rsi;
        case 7: return rdi;
        case 8: return r8;
        case 9: return r9;
        case 10: return r10;
        case 11: return r11;
        case 12: return r12;
        case 13: return r13;
        case 14: return r14;
        default: return r15;
        }
    }
    uint64_t gpr(unsigned n) const { return const_cast<Registers*>(this)->gpr(n); }
};

// The registers of an exception frame that names them as Registers does
// (the kernel's InterruptFrame, the harness guest's Frame), and back: the
// #VC handlers copy them out, emulate, and write the result into the frame.
// RSP is read only: a handler resumes on the interrupted stack.
template <typename Frame>
Registers registers_of(const Frame& f) {
    return Registers{.rax = f.rax,
                     .rbx = f.rbx,
                     .rcx = f.rcx,
                     .rdx = f.rdx,
                     .rsi = f.rsi,
                     .rdi = f.rdi,
                     .rbp = f.rbp,
                     .rsp = f.rsp,
                     .r8 = f.r8,
                     .r9 = f.r9,
                     .r10 = f.r10,
                     .r11 = f.r11,
                     .r12 = f.r12,
                     .r13 = f.r13,
                     .r14 = f.r14,
                     .r15 = f.r15,
                     .rip = f.rip};
}
template <typename Frame>
void write_registers(Frame& f, const Registers& r) {
    f.rax = r.rax, f.rbx = r.rbx, f.rcx = r.rcx, f.rdx = r.rdx, f.rsi = r.rsi, f.rdi = r.rdi, f.rbp = r.rbp;
    f.r8 = r.r8, f.r9 = r.r9, f.r10 = r.r10, f.r11 = r.r11, f.r12 = r.r12, f.r13 = r.r13, f.r14 = r.r14;
    f.r15 = r.r15, f.rip = r.rip;
}

}  // namespace warden::x86
