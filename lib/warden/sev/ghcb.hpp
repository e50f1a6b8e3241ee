// The GHCB page (GHCB spec 56421 section 2.3.2; SPEC-FACTS.md 5): a shared
// 4 KiB page whose save-area fields are marked in a valid bitmap as they are
// written. Accessors by field, so offsets are written down once and pinned by
// tests; the hypervisor's answers are read back through the same accessors.
#pragma once

#include <span>

#include "warden/result.hpp"

namespace warden::sev {

// Field offsets in the page (u64 unless noted).
enum class GhcbField : uint16_t {
    kCpl = 0x0cb,  // u8
    kXss = 0x140,
    kDr7 = 0x160,
    kRip = 0x178,
    kRsp = 0x1d8,
    kRax = 0x1f8,
    kRcx = 0x308,
    kRdx = 0x310,
    kRbx = 0x318,
    kRbp = 0x328,
    kRsi = 0x330,
    kRdi = 0x338,
    kR8 = 0x340,
    kR9 = 0x348,
    kR10 = 0x350,
    kR11 = 0x358,
    kSwExitCode = 0x390,
    kSwExitInfo1 = 0x398,
    kSwExitInfo2 = 0x3a0,
    kSwScratch = 0x3a8,
    kXcr0 = 0x3e8,
};

inline constexpr size_t kGhcbValidBitmap = 0x3f0;   // 16 bytes
inline constexpr size_t kGhcbSharedBuffer = 0x800;  // 2032 bytes
inline constexpr size_t kGhcbSharedBufferSize = 2032;
inline constexpr size_t kGhcbProtocolVersion = 0xffa;  // u16
inline constexpr size_t kGhcbUsage = 0xffc;            // u32, 0 = standard
inline constexpr uint16_t kGhcbVersion = 2;

// VMGEXIT codes (SVM exit codes for intercepted instructions; SEV-specific ones).
namespace exit {
inline constexpr uint64_t kCpuid = 0x72, kIoio = 0x7b, kMsr = 0x7c, kRdtsc = 0x6e, kRdtscp = 0x87;
inline constexpr uint64_t kMmioRead = 0x80000001, kMmioWrite = 0x80000002;
inline constexpr uint64_t kApHltLoop = 0x80000004;    // AP reset hold through the GHCB page
inline constexpr uint64_t kApJumpTable = 0x80000005;  // exit_info_1 0 set (exit_info_2 the GPA), 1 get
inline constexpr uint64_t kPageStateChange = 0x80000010;
inline constexpr uint64_t kGuestRequest = 0x80000011, kExtGuestRequest = 0x80000012;
inline constexpr uint64_t kApCreation = 0x80000013;
inline constexpr uint64_t kGetApicIds = 0x80000017;  // RAX the buffer's pages, exit_info_1 its GPA
inline constexpr uint64_t kRunVmpl = 0x80000018;     // exit_info_1 7:0 the VMPL to run
inline constexpr uint64_t kHvFeatures = 0x8000fffd, kTermination = 0x8000fffe;
}  // namespace exit

class Ghcb {
public:
    // Starts a request: clears the valid bitmap and the exit fields, sets the
    // protocol version and usage.
    void begin();
    void set(GhcbField f, uint64_t value);
    uint64_t get(GhcbField f) const;
    bool is_valid(GhcbField f) const;
    void set_exit(uint64_t code, uint64_t info1, uint64_t info2);
    std::span<uint8_t> shared_buffer() { return {bytes_ + kGhcbSharedBuffer, kGhcbSharedBufferSize}; }
    // After VMGEXIT: info_1's low 32 bits are 0 on success (GHCB spec 2.3.4).
    Result<void> check_result() const;
    const uint8_t* raw() const { return bytes_; }

private:
    alignas(4096) uint8_t bytes_[4096];
};
static_assert(sizeof(Ghcb) == 4096, "one page");

}  // namespace warden::sev
