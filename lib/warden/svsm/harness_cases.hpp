// The SVSM calls both harnesses make (services/guest/harness on native,
// guest/harness at VMPL2 on SNP) whose answer follows from the registers
// alone: what each sends, named by addresses every harness has, and the
// result code it must get. One table, so the two judge the SVSM alike;
// svsm_harness_cases_test runs it through the dispatcher.
#pragma once

#include <span>

#include "warden/svsm/core.hpp"

namespace warden::svsm::harness {

// The addresses a case names: a page of the guest's own (its PVALIDATE list
// page), one in SVSM memory, and the first GPA past guest memory.
struct Addresses {
    uint64_t list = 0, svsm = 0, outside = 0;
};
enum class Arg : uint8_t { kZero, kList, kListPlus4, kListAcrossPage, kSvsm, kOutside };
uint64_t resolve(Arg a, const Addresses& at);

struct RegisterCase {
    const char* what;
    uint32_t protocol, call;
    Arg rcx;
    uint64_t expected;
};

// Unknown protocol and call, CONFIGURE_VTOM change, DEPOSIT/WITHDRAW_MEM,
// REMAP_CA and a PVALIDATE list into SVSM memory, misaligned, across a
// page, outside guest memory. Each is refused with nothing changed.
std::span<const RegisterCase> register_cases();

inline CallRegs registers(const RegisterCase& c, const Addresses& at) {
    return CallRegs{.rax = call_rax(c.protocol, c.call), .rcx = resolve(c.rcx, at)};
}

}  // namespace warden::svsm::harness
