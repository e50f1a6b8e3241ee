// The SVSM core protocol (SVSM spec 58019, protocol 0; SPEC-FACTS.md 7) as a
// pure dispatcher: it decodes a call from the guest's registers, checks every
// argument by the spec's rules and Warden's (DESIGN section 8: nothing outside
// the guest's hands -- SVSM memory, a live VMSA -- and every list bounded by
// its page), and does the privileged work through GuestServices, which the
// kernel implements with narrow kernel calls and the host tests with fakes.
// Guest memory is only ever copied in, checked, then used.
#pragma once

#include <span>

#include "warden/addr.hpp"
#include "warden/result.hpp"

namespace warden::svsm {

// Result codes (RAX on return).
inline constexpr uint64_t kSuccess = 0x00000000, kErrIncomplete = 0x80000000, kErrUnsupportedProtocol = 0x80000001,
                          kErrUnsupportedCall = 0x80000002, kErrInvalidAddress = 0x80000003,
                          kErrInvalidFormat = 0x80000004, kErrInvalidParameter = 0x80000005,
                          kErrInvalidRequest = 0x80000006, kErrBusy = 0x80000007;
inline constexpr uint64_t kErrPvalidateBase = 0x80001000;  // + PVALIDATE's own code (1 FAIL_INPUT, 6 SIZEMISMATCH)
inline constexpr uint64_t kErrPvalidateNoChange = 0x80001010;

// Protocols and core calls.
inline constexpr uint32_t kProtocolCore = 0, kProtocolAttestation = 1, kProtocolVtpm = 2;
enum class CoreCall : uint32_t {
    kRemapCa = 0,
    kPvalidate = 1,
    kCreateVcpu = 2,
    kDeleteVcpu = 3,
    kDepositMem = 4,
    kWithdrawMem = 5,
    kQueryProtocol = 6,
    kConfigureVtom = 7,
};
inline constexpr uint32_t kCoreVersion = 1;

// The guest's registers at the call and on return.
struct CallRegs {
    uint64_t rax = 0, rcx = 0, rdx = 0, r8 = 0, r9 = 0;
};
constexpr uint64_t call_rax(uint32_t protocol, uint32_t call) { return (uint64_t{protocol} << 32) | call; }

// The Calling Area: byte 0 call_pending, byte 1 mem_available, 2..7
// reserved, then the call's buffer. REMAP_CA needs its first 8 bytes in one page.
inline constexpr uint64_t kCaaHeaderSize = 8;

// PVALIDATE request list: header {u16 entries, u16 next, u32 reserved}, then
// u64 entries {bits 1:0 page size, bit 2 validate, bit 3 ignore CF, 11:4
// reserved, 63:12 GFN}, all in the one page the list starts in.
inline constexpr size_t kPvalidateHeaderSize = 8;
struct PvalidateEntry {
    PhysAddr page;
    bool huge = false, validate = false, ignore_cf = false;
};
// kInvalidArgument for a page size of 2 or 3, reserved bits, or a 2 MiB entry
// that is not 2 MiB aligned.
Result<PvalidateEntry> decode_pvalidate_entry(uint64_t raw);
uint64_t encode_pvalidate_entry(const PvalidateEntry& e);

// What PVALIDATE on a guest page reported (the kernel's call answers this).
enum class PvalidateOutcome : uint8_t { kChanged, kUnchanged, kFailInput, kSizeMismatch };

// The privileged operations, each as narrow as the rule it must keep.
//
// The rule (DESIGN 8, docs/svsm.md "The guest's hands"): every access the
// SVSM makes on the guest's behalf -- a Calling Area, a request list and its
// entries, any buffer -- refuses a page the SVSM has taken out of the guest's
// hands, with nothing changed. read_guest, write_guest and pvalidate are the
// only way to reach guest memory, and they ask in_guest_hands first; the
// kernel asks again, atomically with the access, whatever its caller checked.
class GuestServices {
public:
    // Whether all of r is guest memory still in the guest's hands: none of it
    // SVSM memory, none of it a page the SVSM has taken (a VMSA, live or
    // being checked by CREATE_VCPU).
    virtual bool in_guest_hands(PhysRange r) const = 0;

    // kDenied, and nothing read, written or validated, unless the range is
    // in the guest's hands.
    Result<void> read_guest(PhysAddr gpa, void* out, size_t len);
    Result<void> write_guest(PhysAddr gpa, const void* in, size_t len);
    Result<PvalidateOutcome> pvalidate(PhysAddr page, bool huge, bool validate);

    virtual bool apic_id_exists(uint32_t apic_id) const = 0;
    // CREATE_VCPU's privileged half, in one step so that nothing can come
    // between taking the VMSA page and checking it: the page is taken out of
    // the guest's hands first, then its contents are checked
    // (vmsa_fits_guest with the guest's VMPL and SEV_FEATURES), then it is a
    // live vCPU's. On any failure the page is given back and nothing has
    // changed: kInvalidArgument for contents that do not fit, kNotFound for
    // an APIC ID no CPU has, kBusy when no more vCPUs fit, another error when
    // a page is not the guest's to give (either page taken already).
    virtual Result<void> create_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t apic_id) = 0;
    // The one call that names a taken page: kOutOfRange outside guest memory,
    // kNotFound unless vmsa is a live vCPU's VMSA; then it is the guest's again.
    virtual Result<void> delete_vcpu(PhysAddr vmsa) = 0;

protected:
    ~GuestServices() = default;

private:
    // The accesses themselves, reached only through the checked calls above.
    virtual Result<void> copy_from_guest(PhysAddr gpa, void* out, size_t len) = 0;
    virtual Result<void> copy_to_guest(PhysAddr gpa, const void* in, size_t len) = 0;
    virtual Result<PvalidateOutcome> change_validation(PhysAddr page, bool huge, bool validate) = 0;
};

class Attestation;  // attest.hpp
class Vtpm;         // vtpm.hpp

// The calling vCPU's state the dispatcher reads and changes.
struct VcpuState {
    PhysAddr caa;                        // its Calling Area
    Attestation* attestation = nullptr;  // protocol 1's service, if it is offered (SNP)
    Vtpm* vtpm = nullptr;                // protocol 2's, if it is offered
};

// Serves one call: regs in, regs out (RAX = result code). Never fails as a
// C++ call: every error is an SVSM result code for the guest.
void dispatch(CallRegs& regs, VcpuState& vcpu, GuestServices& services);

// One call as the request loop serves it (SVSM spec: call_pending): only
// when the Calling Area says a call is pending is it dispatched, and then
// call_pending is cleared in the area it was read from. A Calling Area the
// guest no longer holds (another vCPU made a VMSA of its page) is never read
// or written: the call is not served, the registers stay as sent, until the
// page is the guest's again. Returns whether the call was served.
bool serve(CallRegs& regs, VcpuState& vcpu, GuestServices& services);

// The checks a VMSA for the guest must pass (CREATE_VCPU's, and the
// kernel's before it starts the guest's first vCPU): it runs at guest_vmpl,
// sets EFER.SVME and carries the guest's SEV_FEATURES. vmsa holds at least
// kVmsaCheckedBytes of the page.
inline constexpr size_t kVmsaCheckedBytes = 0x3b8;
bool vmsa_fits_guest(std::span<const uint8_t> vmsa, uint8_t guest_vmpl, uint64_t sev_features);

}  // namespace warden::svsm
