// The hypervisor's answer to GET_APIC_IDS (VMGEXIT 0x8000_0017; GHCB spec
// 56421, offered with hypervisor feature bit 4, "APIC ID list"): the guest
// gives a buffer of RAX pages at the GPA in SW_EXITINFO1. One too small
// (RAX = 0 asks the size) is not written: RAX comes back as the pages the
// list needs. One big enough gets the list, a u32 count then that many u32
// APIC IDs, and RAX as it was. edk2's OVMF asks this way (PlatformPei
// AmdSevSnpGetApicIds: first RAX 0, then the pages it was told) and starts
// its APs by AP creation only when it has the list (MpInitLib
// CanUseSevSnpCreateAP): without it, it sends INIT-SIPI-SIPI, which a guest
// below VMPL0 has no way to have delivered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace warden::svm {

// The pages a list of `count` APIC IDs fills (count, then the IDs).
constexpr uint64_t apic_id_list_pages(size_t count) { return (4 + 4 * uint64_t{count} + 4095) / 4096; }

struct ApicIdAnswer {
    enum class Kind {
        kSize,       // the buffer is too small: nothing written, RAX = `rax` (the pages needed)
        kFill,       // write `bytes` bytes of the list at the GPA; RAX stays `rax`
        kMisaligned  // a buffer big enough at a GPA that is not page aligned: refused
    };
    Kind kind = Kind::kSize;
    uint64_t rax = 0;
    uint64_t bytes = 0;
};

// The answer to a request of `pages` pages (RAX) at `gpa` (SW_EXITINFO1)
// for a VM of `count` vCPUs.
ApicIdAnswer answer_apic_ids(uint64_t pages, uint64_t gpa, size_t count);

// Writes the list into out; false (nothing written) when it does not fit.
bool write_apic_id_list(std::span<const uint32_t> ids, std::span<uint8_t> out);

}  // namespace warden::svm
