// The VMCB (AMD APM vol. 2 appendix B, tables B-1 control area and B-2
// state save area) as the host uses it, and the SVM exit codes it handles
// (APM vol. 2 appendix C; SPEC-FACTS 3).
#pragma once

#include <cstdint>
#include <cstring>

namespace snp_host::vmcb {

// Control area.
inline constexpr size_t kInterceptExceptions = 0x008;  // bit n: exception vector n
inline constexpr size_t kInterceptWord3 = 0x00c;
inline constexpr size_t kInterceptWord4 = 0x010;
inline constexpr size_t kIopmBase = 0x040, kMsrpmBase = 0x048;
inline constexpr size_t kAsid = 0x058;
inline constexpr size_t kTlbControl = 0x05c;
inline constexpr size_t kIntControl = 0x060, kIntState = 0x068;
// INT_CONTROL's V_INTR_MASKING (APM vol. 2 15.21.1, B-1).
inline constexpr uint32_t kVIntrMasking = 1u << 24;
inline constexpr uint64_t kIntShadow = 1;  // INT_STATE bit 0: the guest is in an interrupt shadow
inline constexpr size_t kExitCode = 0x070, kExitInfo1 = 0x078, kExitInfo2 = 0x080, kExitIntInfo = 0x088;
inline constexpr size_t kNpControl = 0x090;  // bit 0: nested paging
inline constexpr size_t kEventInject = 0x0a8;
inline constexpr size_t kNestedCr3 = 0x0b0;
inline constexpr size_t kCleanBits = 0x0c0;
// State save area (0x400 + the VMSA's offsets for the fields they share:
// segments, CPL, EFER, control registers, RFLAGS, RIP, RSP, RAX, the SYSCALL
// MSRs, CR2, G_PAT; SPEC-FACTS 6).
inline constexpr size_t kSave = 0x400;
inline constexpr size_t kEs = 0x400, kCs = 0x410, kSs = 0x420, kDs = 0x430, kFs = 0x440, kGs = 0x450;
inline constexpr size_t kGdtr = 0x460, kLdtr = 0x470, kIdtr = 0x480, kTr = 0x490;
inline constexpr size_t kCpl = 0x4cb, kEfer = 0x4d0;
inline constexpr size_t kCr4 = 0x548, kCr3 = 0x550, kCr0 = 0x558, kDr7 = 0x560, kDr6 = 0x568;
inline constexpr size_t kRflags = 0x570, kRip = 0x578, kRsp = 0x5d8, kRax = 0x5f8;
inline constexpr size_t kStar = 0x600, kLstar = 0x608, kCstar = 0x610, kSfmask = 0x618, kKernelGsBase = 0x620;
inline constexpr size_t kCr2 = 0x640, kGpat = 0x668;
// A segment register: u16 selector, u16 attributes, u32 limit, u64 base.
inline constexpr size_t kSegSelector = 0, kSegAttrib = 2, kSegLimit = 4, kSegBase = 8;

// Intercept word 3 (APM vol. 2 B-1, offset 0x0C).
inline constexpr uint32_t kIntrIntr = 1u << 0;
inline constexpr uint32_t kIntrCpuid = 1u << 18, kIntrHlt = 1u << 24, kIntrIoio = 1u << 27, kIntrMsr = 1u << 28,
                          kIntrShutdown = 1u << 31;
// Intercept word 4 (offset 0x10).
inline constexpr uint32_t kIntrVmrun = 1u << 0, kIntrVmmcall = 1u << 1, kIntrVmload = 1u << 2, kIntrVmsave = 1u << 3,
                          kIntrStgi = 1u << 4, kIntrClgi = 1u << 5, kIntrSkinit = 1u << 6;

// EVENTINJ (APM vol. 2 15.20): vector, type (0 = external interrupt, 3 = exception), EV (error code valid), V.
inline constexpr uint64_t kEventException = 3u << 8, kEventErrorValid = 1u << 11, kEventValid = 1u << 31;

// Exit codes.
inline constexpr uint64_t kExitExceptionBase = 0x40;  // + vector
inline constexpr uint64_t kExitUd = 0x46;
inline constexpr uint64_t kExitIntr = 0x60;
inline constexpr uint64_t kExitCpuid = 0x72, kExitHlt = 0x78, kExitIoio = 0x7b, kExitMsr = 0x7c, kExitShutdown = 0x7f,
                          kExitVmrun = 0x80, kExitVmmcall = 0x81, kExitVmload = 0x82, kExitVmsave = 0x83,
                          kExitStgi = 0x84, kExitClgi = 0x85, kExitSkinit = 0x86, kExitNpf = 0x400;
inline constexpr uint64_t kExitVmgexit = 0x403;  // an SEV-ES guest's VMGEXIT (APM vol. 2 Table C-1)
inline constexpr uint64_t kExitInvalid = 0xffff'ffff;  // TCG zero-extends VMEXIT_INVALID (probe section 1)

// Typed access to a VMCB page.
class Vmcb {
public:
    explicit Vmcb(uint8_t* page) : p_(page) {}
    template <typename T = uint64_t>
    T get(size_t off) const {
        T v;
        std::memcpy(&v, p_ + off, sizeof v);
        return v;
    }
    template <typename T = uint64_t>
    void set(size_t off, T v) {
        std::memcpy(p_ + off, &v, sizeof v);
    }
    uint8_t* raw() { return p_; }

private:
    uint8_t* p_;
};

}  // namespace snp_host::vmcb
