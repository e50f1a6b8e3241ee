// x86-64 exception vectors, their names and error-code decoding (SDM Vol. 3A
// table 6-1, and 4.7 for the page-fault error code; AMD APM Vol. 2 8.2 for
// #VC, vector 29). Pure, so the reports are host-tested.
#pragma once

#include "warden/bits.hpp"
#include "warden/format.hpp"

namespace warden::x86 {

inline constexpr unsigned kExceptionVectors = 32;
inline constexpr unsigned kVmmCommunication = 29;  // #VC

struct ExceptionInfo {
    const char* mnemonic;  // "#PF"
    const char* name;      // "page fault"
    bool has_error_code;   // the CPU pushes one
};

constexpr ExceptionInfo exception_info(unsigned vector) {
    constexpr ExceptionInfo kTable[kExceptionVectors] = {
        {"#DE", "divide error", false},
        {"#DB", "debug", false},
        {"NMI", "non-maskable interrupt", false},
        {"#BP", "breakpoint", false},
        {"#OF", "overflow", false},
        {"#BR", "bound range exceeded", false},
        {"#UD", "invalid opcode", false},
        {"#NM", "device not available", false},
        {"#DF", "double fault", true},
        {"#CSO", "coprocessor segment overrun", false},
        {"#TS", "invalid TSS", true},
        {"#NP", "segment not present", true},
        {"#SS", "stack-segment fault", true},
        {"#GP", "general protection", true},
        {"#PF", "page fault", true},
        {"#15", "reserved", false},
        {"#MF", "x87 floating-point error", false},
        {"#AC", "alignment check", true},
        {"#MC", "machine check", false},
        {"#XM", "SIMD floating-point", false},
        {"#VE", "virtualization exception", false},
        {"#CP", "control protection", true},
        {"#22", "reserved", false},
        {"#23", "reserved", false},
        {"#24", "reserved", false},
        {"#25", "reserved", false},
        {"#26", "reserved", false},
        {"#27", "reserved", false},
        {"#HV", "hypervisor injection", false},
        {"#VC", "VMM communication", true},
        {"#SX", "security exception", true},
        {"#31", "reserved", false},
    };
    return vector < kExceptionVectors ? kTable[vector] : ExceptionInfo{"IRQ", "external interrupt", false};
}

// Page-fault error code bits (SDM Vol. 3A 4.7).
namespace pf {
inline constexpr uint64_t kPresent = bit(0);  // 0: not present, 1: protection violation
inline constexpr uint64_t kWrite = bit(1);
inline constexpr uint64_t kUser = bit(2);
inline constexpr uint64_t kReservedBit = bit(3);
inline constexpr uint64_t kInstructionFetch = bit(4);
inline constexpr uint64_t kProtectionKey = bit(5);
inline constexpr uint64_t kShadowStack = bit(6);
inline constexpr uint64_t kRmp = bit(31);  // AMD: RMP violation (SEV-SNP)
}  // namespace pf

// "write, protection violation, supervisor" (plus any rarer bits).
inline void describe_page_fault(fmt::Sink& out, uint64_t error) {
    out.write(error & pf::kInstructionFetch ? "instruction fetch" : error & pf::kWrite ? "write" : "read");
    out.write(error & pf::kPresent ? ", protection violation" : ", page not present");
    out.write(error & pf::kUser ? ", user" : ", supervisor");
    if (error & pf::kReservedBit) out.write(", reserved bit set");
    if (error & pf::kProtectionKey) out.write(", protection key");
    if (error & pf::kShadowStack) out.write(", shadow stack");
    if (error & pf::kRmp) out.write(", RMP violation");
}

}  // namespace warden::x86
