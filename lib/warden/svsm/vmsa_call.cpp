// The SVSM call in a VMSA page (vmsa_call.hpp).
#include "warden/svsm/vmsa_call.hpp"

#include "warden/bytes.hpp"

namespace warden::svsm {

Result<VmsaExit> decode_exit(std::span<const uint8_t> vmsa_copy) {
    if (vmsa_copy.size() < kVmsaCallBytes) return Fail(Error::kOutOfRange);
    return VmsaExit{.regs = CallRegs{.rax = load_le<uint64_t>(vmsa_copy, kVmsaRaxOffset),
                                     .rcx = load_le<uint64_t>(vmsa_copy, kVmsaRcxOffset),
                                     .rdx = load_le<uint64_t>(vmsa_copy, kVmsaRdxOffset),
                                     .r8 = load_le<uint64_t>(vmsa_copy, kVmsaR8Offset),
                                     .r9 = load_le<uint64_t>(vmsa_copy, kVmsaR9Offset)},
                    .exit_code = load_le<uint64_t>(vmsa_copy, kVmsaGuestExitCodeOffset)};
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

bool vmsa_xcr0_valid(std::span<const uint8_t> vmsa, uint64_t supported) {
    constexpr uint64_t kX87 = 1, kSse = 2, kAvx = 4, kAvx512 = 0xe0;
    if (vmsa.size() < kVmsaXcr0Offset + 8) return false;
    const uint64_t x = load_le<uint64_t>(vmsa, kVmsaXcr0Offset);
    if (!(x & kX87) || (x & ~supported) != 0) return false;
    if ((x & kAvx) && !(x & kSse)) return false;
    const uint64_t avx512 = x & kAvx512;
    return avx512 == 0 || (avx512 == kAvx512 && (x & kAvx));
}

Result<void> set_runnable(std::span<uint8_t> vmsa, bool runnable) {
    if (vmsa.size() < kVmsaCallBytes) return Fail(Error::kOutOfRange);
    const uint64_t efer = load_le<uint64_t>(vmsa, kVmsaEferOffset);
    store_le<uint64_t>(vmsa, kVmsaEferOffset, runnable ? efer | kVmsaEferSvme : efer & ~kVmsaEferSvme);
    return {};
}

}  // namespace warden::svsm
