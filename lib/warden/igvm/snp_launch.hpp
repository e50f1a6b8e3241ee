// What a QEMU 10.1 + KVM SEV-SNP host measures when it launches an IGVM file,
// page by page in launch order, and the guest policy it starts the VM with.
// The rules and their public sources are in docs/igvm.md ("What the host
// measures"); hashing is the caller's (the sink). An IGVM file is untrusted
// input: every body is size-checked, and files on which the public tools
// (QEMU, microsoft/igvm, COCONUT igvmmeasure) would disagree are refused.
#pragma once

#include <span>

#include "warden/igvm/igvm.hpp"
#include "warden/igvm/kvm_vmsa.hpp"

namespace warden::igvm {

// SNP guest policy (Firmware ABI 56860 "Guest Policy"; microsoft/igvm
// igvm_defs SnpPolicy; Linux arch/x86/kvm/svm/sev.c SNP_POLICY_MASK_*).
inline constexpr uint64_t kPolicyAbiMinor = 0xff, kPolicyAbiMajor = 0xff00;
inline constexpr uint64_t kPolicySmt = 1ull << 16;           // SMT may be enabled on the host
inline constexpr uint64_t kPolicyReservedOne = 1ull << 17;   // must be 1
inline constexpr uint64_t kPolicyMigrateMa = 1ull << 18;     // migration agent (KVM refuses it)
inline constexpr uint64_t kPolicyDebug = 1ull << 19;         // host may debug (decrypt) the guest
inline constexpr uint64_t kPolicySingleSocket = 1ull << 20;  // single-socket hosts only
// The bits KVM's snp_launch_start accepts; any other bit fails the launch.
inline constexpr uint64_t kKvmPolicyValid =
    kPolicyAbiMinor | kPolicyAbiMajor | kPolicySmt | kPolicyReservedOne | kPolicyDebug | kPolicySingleSocket;
// Warden's default (docs/igvm.md): any firmware ABI, SMT allowed (a host
// with SMT on refuses a policy without it), no debugging, no migration.
inline constexpr uint64_t kDefaultPolicy = kPolicySmt | kPolicyReservedOne;

// kInvalidArgument: bit 17 clear, or a bit outside kKvmPolicyValid.
Result<void> check_policy(uint64_t policy);

// Directive header types QEMU 10.1's loader handles besides the ones in
// igvm.hpp (igvm_defs): any other directive makes it refuse the file.
inline constexpr uint32_t kTypeSnpIdBlock = 0x30b, kTypeEnvironmentInfo = 0x313;

inline constexpr uint32_t kMaxVcpus = 4096;
inline constexpr uint64_t kMaxParameterArea = uint64_t{1} << 20;

struct LaunchConfig {
    uint32_t vcpus = 1;                 // QEMU -smp: KVM measures one VMSA per vCPU
    uint32_t cpu_signature = kSigEpyc;  // QEMU -cpu: only the APs' VMSAs depend on it
};

// Receives the SNP_LAUNCH_UPDATE pages in order. contents is the 4 KiB page
// to hash for kNormal and kVmsa; empty for the types measured with zero
// contents (unmeasured, secrets, CPUID).
class LaunchSink {
public:
    virtual void page(SnpPageType type, uint64_t gpa, std::span<const uint8_t> contents) = 0;

protected:
    ~LaunchSink() = default;
};

struct Launch {
    uint64_t policy = 0;    // from GUEST_POLICY: what QEMU passes to SNP_LAUNCH_START
    uint32_t snp_mask = 0;  // the SEV-SNP platform's compatibility mask
    size_t pages = 0;       // pages given to the sink
};

// Walks the checked file (parse() from igvm.hpp over bytes) as QEMU 10.1 and
// KVM launch it and hands each measured page to the sink: PAGE_DATA and
// PARAMETER_INSERT in file order, then the BSP's VMSA, then one AP VMSA per
// further vCPU. On failure the sink may have seen some pages; the error says
// what is wrong:
//   kNotFound       no SEV-SNP platform, no GUEST_POLICY or VP_CONTEXT for it,
//                   a PARAMETER_INSERT of an undeclared area
//   kInvalidArgument a body of the wrong size, a bad policy, reserved bits or
//                   fields set, a second SNP platform/policy/VP context, an
//                   area inserted twice, a VMSA KVM would refuse
//   kUnsupported    2 MiB or shared pages, a VP index other than 0, a VMSA
//                   field QEMU does not sync, a directive QEMU does not know
//   kWrongOrder     sections out of order; a PARAMETER_INSERT after PAGE_DATA
//                   (QEMU measures it ahead of the pending page run), or
//                   anything measured after the VP_CONTEXT (KVM measures
//                   VMSAs last; microsoft/igvm in file order)
//   kMisaligned     a GPA or parameter area size not 4 KiB aligned
//   kOutOfRange     VP context not at kKvmVmsaGpa, too many vCPUs or areas
//   kTruncated      page data or a VMSA past the end of the file
// failed_header, if given, is set to the index of the header at fault (the
// header count when the fault is something missing).
Result<Launch> plan_snp_launch(const File& file, std::span<const uint8_t> bytes, const LaunchConfig& config,
                               LaunchSink& sink, size_t* failed_header = nullptr);

}  // namespace warden::igvm
