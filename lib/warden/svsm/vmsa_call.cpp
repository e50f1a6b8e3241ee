// The SVSM call in a VMSA page (vmsa_call.hpp).
#include "warden/svsm/vmsa_call.hpp"

#include "warden/bytes.hpp"

namespace warden::svsm {

Result<CallRegs> decode_call(std::span<const uint8_t> vmsa_copy) {
    if (vmsa_copy.size() < kVmsaCallBytes) return Fail(Error::kOutOfRange);
    return CallRegs{.rax = load_le<uint64_t>(vmsa_copy, kVmsaRaxOffset),
                    .rcx = load_le<uint64_t>(vmsa_copy, kVmsaRcxOffset),
                    .rdx = load_le<uint64_t>(vmsa_copy, kVmsaRdxOffset),
                    .r8 = load_le<uint64_t>(vmsa_copy, kVmsaR8Offset),
                    .r9 = load_le<uint64_t>(vmsa_copy, kVmsaR9Offset)};
}

Result<void> store_results(std::span<uint8_t> vmsa, const CallRegs& regs) {
    if (vmsa.size() < kVmsaCallBytes) return Fail(Error::kOutOfRange);
    store_le<uint64_t>(vmsa, kVmsaRaxOffset, regs.rax);
    store_le<uint64_t>(vmsa, kVmsaRcxOffset, regs.rcx);
    store_le<uint64_t>(vmsa, kVmsaRdxOffset, regs.rdx);
    store_le<uint64_t>(vmsa, kVmsaR8Offset, regs.r8);
    store_le<uint64_t>(vmsa, kVmsaR9Offset, regs.r9);
    return {};
}

Result<void> set_runnable(std::span<uint8_t> vmsa, bool runnable) {
    if (vmsa.size() < kVmsaCallBytes) return Fail(Error::kOutOfRange);
    const uint64_t efer = load_le<uint64_t>(vmsa, kVmsaEferOffset);
    store_le<uint64_t>(vmsa, kVmsaEferOffset, runnable ? efer | kVmsaEferSvme : efer & ~kVmsaEferSvme);
    return {};
}

}  // namespace warden::svsm
