// libFuzzer target: the SVSM call and exit code decoded from a VMSA page the
// guest's VMPL wrote (untrusted), the results written back (the exit code
// unchanged: the next exit's is the CPU's), and EFER.SVME toggled.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "warden/svsm/vmsa_call.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace warden::svsm;
    if (size > 4096) return 0;
    uint8_t page[4096] = {};
    std::memcpy(page, data, size);
    const std::span<uint8_t> p(page, size);
    auto exit = decode_exit(p);
    if (exit.ok() != (size >= kVmsaCallBytes)) __builtin_trap();
    if (!exit) return 0;
    if (is_request(exit->exit_code) != (exit->exit_code == 0x403)) __builtin_trap();
    // Results round-trip, and EFER keeps every bit but SVME.
    const CallRegs& call = exit->regs;
    const CallRegs r{.rax = call.r9, .rcx = call.rax, .rdx = call.rcx, .r8 = call.rdx, .r9 = call.r8};
    if (!store_results(p, r)) __builtin_trap();
    auto back = decode_exit(p);
    if (!back || back->regs.rax != r.rax || back->regs.rcx != r.rcx || back->regs.rdx != r.rdx ||
        back->regs.r8 != r.r8 || back->regs.r9 != r.r9 || back->exit_code != exit->exit_code)
        __builtin_trap();
    (void)vmsa_xcr0_valid(p, ~uint64_t{0});  // any bytes: an answer, never a read past the page
    uint8_t efer[8];
    std::memcpy(efer, page + kVmsaEferOffset, 8);
    if (!set_runnable(p, false) || (page[kVmsaEferOffset + 1] & 0x10)) __builtin_trap();
    if (!set_runnable(p, true) || !(page[kVmsaEferOffset + 1] & 0x10)) __builtin_trap();
    page[kVmsaEferOffset + 1] = static_cast<uint8_t>((page[kVmsaEferOffset + 1] & ~0x10) | (efer[1] & 0x10));
    if (std::memcmp(efer, page + kVmsaEferOffset, 8) != 0) __builtin_trap();
    return 0;
}
