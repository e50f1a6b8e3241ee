// The VMSA pages a QEMU 10.1 + KVM host hands to SNP_LAUNCH_UPDATE when it
// launches an IGVM file: the BSP's, rebuilt from the file's VP_CONTEXT, and
// each AP's, built from the x86 reset state. docs/igvm.md ("What the host
// measures") gives the source of every field; this is a model of that host,
// not of the VMSA format (lib/warden/sev/vmsa.hpp builds VMSAs to run).
#pragma once

#include <array>
#include <span>

#include "warden/result.hpp"

namespace warden::igvm {

inline constexpr size_t kVmsaPageSize = 4096;
using VmsaPage = std::array<uint8_t, kVmsaPageSize>;

// KVM measures every VMSA at this GPA, whatever the file says, and QEMU 10.1
// refuses any other (target/i386/sev.c KVM_VMSA_GPA, check_vmsa_supported;
// Linux arch/x86/kvm/svm/sev.c INITIAL_VMSA_GPA).
inline constexpr uint64_t kKvmVmsaGpa = 0xffff'ffff'f000;

// CPUID Fn0000_0001 EAX of QEMU's built-in CPU models (family, model,
// stepping as QEMU's builtin_x86_defs; encoding AMD CPUID spec 25481, as
// virtee/sev-snp-measure vcpu_types.py): a reset vCPU holds it in RDX.
inline constexpr uint32_t kSigEpyc = 0x00800f12;       // EPYC, EPYC-v1..v4: 23/1/2
inline constexpr uint32_t kSigEpycRome = 0x00830f10;   // 23/49/0
inline constexpr uint32_t kSigEpycMilan = 0x00a00f11;  // 25/1/1
inline constexpr uint32_t kSigEpycGenoa = 0x00a10f10;  // 25/17/0
inline constexpr uint32_t kSigEpycTurin = 0x00b00f00;  // 26/0/0

// The BSP's VMSA as KVM measures it, from the 4 KiB page of the file's
// VP_CONTEXT. First QEMU's check_vmsa_supported (only the fields QEMU copies
// into the vCPU may be non-zero, sev_features must have SNP_ACTIVE), then
// KVM's sev_es_sync_vmsa over the state QEMU set (EFER.SVME and CR4.MCE
// forced on, CR0.CD/NW cleared, RFLAGS bit 1, CPL from SS.DPL, GDTR/IDTR
// without selector and attributes, limits 16 bits; everything else zero).
// kUnsupported: a byte outside those fields is set, SNP_ACTIVE is clear, or
// TR and LDTR bases differ (QEMU 10.0 loads TR's base from LDTR's; 10.1 not
// verified, so such a VMSA is refused rather than guessed); kInvalidArgument:
// state KVM refuses (DR7 other than 0x400, XCR0 without x87).
Result<VmsaPage> kvm_bsp_vmsa(std::span<const uint8_t, kVmsaPageSize> file_vmsa);

// An AP's VMSA: QEMU resets it to F000:FFF0 (CS base FFFF0000, RDX the CPU
// signature) and nothing in the file changes that; KVM then applies the
// same rules (EFER.SVME, CR4.MCE, CR0 0x10) and the VM's sev_features.
VmsaPage kvm_ap_vmsa(uint32_t cpu_signature, uint64_t sev_features);

}  // namespace warden::igvm
