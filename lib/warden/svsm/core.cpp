// Core-protocol dispatch: argument checks in the order the SVSM spec states
// them, then the privileged work through GuestServices.
#include "warden/svsm/core.hpp"

#include "warden/bytes.hpp"
#include "warden/svsm/attest.hpp"
#include "warden/svsm/vtpm.hpp"

namespace warden::svsm {
namespace {

constexpr uint64_t kVmsaVmpl = 0x0ca, kVmsaEfer = 0x0d0, kVmsaSevFeatures = 0x3b0;
constexpr uint64_t kEferSvme = uint64_t{1} << 12;
constexpr size_t kMaxPvalidateEntries = (kPageSize - kPvalidateHeaderSize) / 8;  // 511

bool crosses_page(PhysAddr a, uint64_t len) { return (a.raw() & (kPageSize - 1)) + len > kPageSize; }

uint64_t remap_ca(CallRegs& r, VcpuState& vcpu, GuestServices& s) {
    const PhysAddr caa(r.rcx);
    if (!caa.is_aligned(8) || crosses_page(caa, kCaaHeaderSize)) return kErrInvalidParameter;
    const uint8_t zero[kCaaHeaderSize] = {};
    if (!s.write_guest(caa, zero, sizeof zero)) return kErrInvalidAddress;  // refused unless in the guest's hands
    vcpu.caa = caa;
    return kSuccess;
}

uint64_t pvalidate_outcome_code(PvalidateOutcome o, bool ignore_cf) {
    switch (o) {
    case PvalidateOutcome::kChanged: return kSuccess;
    case PvalidateOutcome::kUnchanged: return ignore_cf ? kSuccess : kErrPvalidateNoChange;
    case PvalidateOutcome::kFailInput: return kErrPvalidateBase + 1;
    case PvalidateOutcome::kSizeMismatch: return kErrPvalidateBase + 6;
    }
    return kErrInvalidRequest;
}

uint64_t pvalidate(CallRegs& r, GuestServices& s) {
    const PhysAddr list(r.rcx);
    if (!list.is_aligned(8) || crosses_page(list, kPvalidateHeaderSize)) return kErrInvalidParameter;
    const uint64_t room = kPageSize - (list.raw() & (kPageSize - 1));  // bytes from the list to its page end
    // The list's page is refused up front: the write-back of `next` below
    // can then never land in a page the guest does not hold.
    if (!s.in_guest_hands(PhysRange{list, room})) return kErrInvalidAddress;
    uint8_t header[kPvalidateHeaderSize];
    if (!s.read_guest(list, header, sizeof header)) return kErrInvalidAddress;
    const uint16_t entries = load_le<uint16_t>(header, 0), next = load_le<uint16_t>(header, 2);
    if (entries == 0 || next >= entries || kPvalidateHeaderSize + uint64_t{entries} * 8 > room)
        return kErrInvalidParameter;
    // The whole list, copied once: the guest cannot change it under us.
    uint8_t copy[kMaxPvalidateEntries * 8];
    if (!s.read_guest(list + kPvalidateHeaderSize, copy, size_t{entries} * 8)) return kErrInvalidAddress;
    uint16_t at = next;
    uint64_t result = kSuccess;
    for (; at < entries; ++at) {
        auto e = decode_pvalidate_entry(load_le<uint64_t>(copy, size_t{at} * 8));
        if (!e) {
            result = kErrInvalidParameter;
            break;
        }
        // Refused (kDenied) unless all of the 4 KiB or 2 MiB is in the guest's hands.
        auto outcome = s.pvalidate(e->page, e->huge, e->validate);
        result = outcome ? pvalidate_outcome_code(*outcome, e->ignore_cf) : kErrInvalidAddress;
        if (result != kSuccess) break;
    }
    // `next` tells the guest where to resume (the failing entry, or the end);
    // when the first entry it named failed, it already says so.
    if (at == next) return result;
    uint8_t next_out[2] = {static_cast<uint8_t>(at), static_cast<uint8_t>(at >> 8)};
    if (!s.write_guest(list + 2, next_out, sizeof next_out)) return kErrInvalidAddress;
    return result;
}

// Only the arguments are checked here: the VMSA's contents are checked by
// create_vcpu itself, after it has taken the page out of the guest's reach
// (the kernel does not trust this dispatcher, which runs at CPL3).
uint64_t create_vcpu(CallRegs& r, const VcpuState& vcpu, GuestServices& s) {
    const PhysAddr vmsa(r.rcx), caa(r.rdx);
    const auto apic_id = static_cast<uint32_t>(r.r8);
    if (!vmsa.is_aligned(kPageSize) || !caa.is_aligned(kPageSize) || r.r8 > 0xffffffff) return kErrInvalidParameter;
    // One page for both is a bad address, the spec's class for it (as COCONUT-SVSM answers).
    if (vmsa == caa) return kErrInvalidAddress;
    // The caller's own Calling Area cannot become a VMSA: this very call's
    // call_pending could not be cleared in a page the guest no longer holds.
    if (vcpu.caa.align_down(kPageSize) == vmsa) return kErrInvalidAddress;
    // Before anything is taken: a VMSA or Calling Area on a page the SVSM
    // already holds (another live VMSA) is refused with nothing changed.
    if (!s.in_guest_hands(PhysRange{vmsa, kPageSize}) || !s.in_guest_hands(PhysRange{caa, kPageSize}))
        return kErrInvalidAddress;
    if (!s.apic_id_exists(apic_id)) return kErrInvalidParameter;
    auto c = s.create_vcpu(vmsa, caa, apic_id);
    if (c) return kSuccess;
    switch (c.error()) {
    case Error::kInvalidArgument:
    case Error::kNotFound: return kErrInvalidParameter;
    case Error::kBusy: return kErrBusy;
    default: return kErrInvalidAddress;  // a page that is not the guest's to give (already a VMSA)
    }
}

// The VMSA is a taken page by definition: only delete_vcpu may name it.
uint64_t delete_vcpu(CallRegs& r, GuestServices& s) {
    const PhysAddr vmsa(r.rcx);
    if (!vmsa.is_aligned(kPageSize)) return kErrInvalidParameter;
    auto d = s.delete_vcpu(vmsa);
    if (d) return kSuccess;
    switch (d.error()) {
    case Error::kOutOfRange: return kErrInvalidAddress;
    case Error::kBusy: return kErrBusy;
    default: return kErrInvalidParameter;  // not a VMSA created through CREATE_VCPU
    }
}

// RCX = (protocol << 32) | version wanted -> (max << 32) | min, or 0.
bool attestation_offered(VcpuState& vcpu) { return vcpu.attestation != nullptr && vcpu.attestation->offered(); }
bool vtpm_offered(VcpuState& vcpu) { return vcpu.vtpm != nullptr && vcpu.vtpm->offered(); }

uint64_t query_protocol(CallRegs& r, VcpuState& vcpu) {
    const auto protocol = static_cast<uint32_t>(r.rcx >> 32), version = static_cast<uint32_t>(r.rcx);
    const bool offered = protocol == kProtocolCore || (protocol == kProtocolAttestation && attestation_offered(vcpu)) ||
                         (protocol == kProtocolVtpm && vtpm_offered(vcpu));
    r.rcx = offered && version == kCoreVersion ? (uint64_t{kCoreVersion} << 32) | kCoreVersion : 0;
    return kSuccess;
}

uint64_t configure_vtom(CallRegs& r) {
    if (r.rcx & 1) {  // query: no vTOM support
        r.rcx = 0;
        return kSuccess;
    }
    return kErrInvalidRequest;
}

uint64_t core(CallRegs& r, uint32_t call, VcpuState& vcpu, GuestServices& s) {
    switch (static_cast<CoreCall>(call)) {
    case CoreCall::kRemapCa: return remap_ca(r, vcpu, s);
    case CoreCall::kPvalidate: return pvalidate(r, s);
    case CoreCall::kCreateVcpu: return create_vcpu(r, vcpu, s);
    case CoreCall::kDeleteVcpu: return delete_vcpu(r, s);
    case CoreCall::kDepositMem:
    case CoreCall::kWithdrawMem: return kErrUnsupportedCall;  // Warden's memory is fixed at launch
    case CoreCall::kQueryProtocol: return query_protocol(r, vcpu);
    case CoreCall::kConfigureVtom: return configure_vtom(r);
    }
    return kErrUnsupportedCall;
}

// ATTEST_SERVICES and ATTEST_SINGLE_SERVICE (SVSM spec 58019 section 7;
// SPEC-FACTS 7b). Everything the guest names is checked before the service
// is asked: the operation (8-byte aligned, in one page, reserved bytes
// zero, manifest version 0), the nonce (64 bytes in one page), and the
// buffers as far as anything could be written to them (the room, at most
// kAttestRoomMax each), all in the guest's hands. The answer is checked
// against the rooms before anything is written. Lengths go back in R8
// (report), RCX (manifest) and RDX (certificates), also with a too-small
// buffer's INVALID_PARAMETER, so that the guest can retry with those sizes.
uint64_t attestation(CallRegs& r, uint32_t call, Attestation& service, GuestServices& s) {
    if (call != kAttestServices && call != kAttestSingleService) return kErrUnsupportedCall;
    const bool single = call == kAttestSingleService;
    const size_t size = single ? kAttestSingleServiceOpSize : kAttestServicesOpSize;
    const PhysAddr gpa(r.rcx);
    if (!gpa.is_aligned(8) || crosses_page(gpa, size)) return kErrInvalidParameter;
    uint8_t copy[kAttestSingleServiceOpSize];
    if (!s.read_guest(gpa, copy, size)) return kErrInvalidAddress;
    AttestServicesOp op;
    AttestQuery q;
    if (single) {
        auto parsed = parse_attest_single_service({copy, size});
        if (!parsed || parsed->manifest_version != 0) return kErrInvalidParameter;
        op = parsed->op;
        q.single = true;
        q.service = parsed->service;
    } else {
        auto parsed = parse_attest_services({copy, size});
        if (!parsed) return kErrInvalidParameter;
        op = *parsed;
    }
    if (crosses_page(op.nonce, kNonceSize)) return kErrInvalidParameter;
    if (!s.read_guest(op.nonce, q.nonce.data(), kNonceSize)) return kErrInvalidAddress;
    const auto room = [](uint32_t declared) { return declared < kAttestRoomMax ? declared : kAttestRoomMax; };
    q.report_room = room(op.report_size);
    q.manifest_room = room(op.manifest_size);
    q.certificates_room = room(op.certificates_size);
    const auto in_hands = [&](PhysAddr at, uint32_t n) { return n == 0 || s.in_guest_hands(PhysRange{at, n}); };
    if (!in_hands(op.report, q.report_room) || !in_hands(op.manifest, q.manifest_room) ||
        !in_hands(op.certificates, q.certificates_room))
        return kErrInvalidAddress;

    const AttestAnswer a = service.attest(q);
    switch (a.status) {
    case AttestStatus::kDone: break;
    case AttestStatus::kTooSmall:
        r.r8 = a.report_size;
        r.rcx = a.manifest_size;
        r.rdx = a.certificates_size;
        return kErrInvalidParameter;
    case AttestStatus::kUnknownService: return kErrInvalidParameter;
    case AttestStatus::kFailed: return kErrInvalidRequest;
    }
    // The service's answer is held to what it said and to the rooms.
    if (a.report.size() != a.report_size || a.manifest.size() != a.manifest_size ||
        a.certificates.size() != a.certificates_size || a.report_size == 0 || a.report_size > q.report_room ||
        a.manifest_size > q.manifest_room || a.certificates_size > q.certificates_room)
        return kErrInvalidRequest;
    const auto put = [&](PhysAddr at, std::span<const uint8_t> b) {
        return b.empty() || s.write_guest(at, b.data(), b.size()).ok();
    };
    if (!put(op.report, a.report) || !put(op.manifest, a.manifest) || !put(op.certificates, a.certificates))
        return kErrInvalidAddress;  // only if a buffer left the guest's hands since the check
    r.r8 = a.report_size;
    r.rcx = a.manifest_size;
    r.rdx = a.certificates_size;
    return kSuccess;
}

// VTPM_QUERY and VTPM_CMD (SPEC-FACTS 7b; COCONUT-SVSM's vtpm.rs): the
// 4096-byte buffer at RCX (GPA 0 refused, any alignment) must be in the
// guest's hands as a whole; it is copied, checked (TPM_SEND_COMMAND,
// locality 0, a size within the page), the command goes to the vTPM, and
// the response is written over the buffer's start.
uint64_t vtpm(CallRegs& r, uint32_t call, Vtpm& tpm, GuestServices& s) {
    if (call == kVtpmQuery) {
        r.rcx = kVtpmPlatformCommands;
        r.rdx = 0;  // no features
        return kSuccess;
    }
    if (call != kVtpmCmd) return kErrUnsupportedCall;
    const PhysAddr gpa(r.rcx);
    if (gpa.raw() == 0) return kErrInvalidParameter;
    static uint8_t buffer[kVtpmBuffer];  // one call at a time per request loop: each is its own task
    if (!s.read_guest(gpa, buffer, kVtpmBuffer)) return kErrInvalidAddress;
    auto command = parse_send_command(buffer);
    if (!command) return command.error() == Error::kUnsupported ? kErrUnsupportedCall : kErrInvalidParameter;
    static uint8_t response[kVtpmMaxResponse];  // apart from buffer, which holds the command until it is sent
    auto n = tpm.send(*command, response);
    if (!n || *n > kVtpmMaxResponse) return kErrInvalidRequest;
    auto written = write_send_response({response, *n}, buffer);
    if (!written || !s.write_guest(gpa, buffer, *written)) return kErrInvalidAddress;
    return kSuccess;
}

}  // namespace

Result<void> GuestServices::read_guest(PhysAddr gpa, void* out, size_t len) {
    if (!in_guest_hands(PhysRange{gpa, len})) return Fail(Error::kDenied);
    return copy_from_guest(gpa, out, len);
}

Result<void> GuestServices::write_guest(PhysAddr gpa, const void* in, size_t len) {
    if (!in_guest_hands(PhysRange{gpa, len})) return Fail(Error::kDenied);
    return copy_to_guest(gpa, in, len);
}

Result<PvalidateOutcome> GuestServices::pvalidate(PhysAddr page, bool huge, bool validate) {
    if (!in_guest_hands(PhysRange{page, huge ? kLargePageSize : kPageSize})) return Fail(Error::kDenied);
    return change_validation(page, huge, validate);
}

Result<PvalidateEntry> decode_pvalidate_entry(uint64_t raw) {
    const uint64_t size = raw & 3;
    if (size > 1 || (raw & 0xff0)) return Fail(Error::kInvalidArgument);
    PvalidateEntry e{PhysAddr(raw & ~uint64_t{0xfff}), size == 1, (raw & 4) != 0, (raw & 8) != 0};
    if (e.huge && !e.page.is_aligned(kLargePageSize)) return Fail(Error::kInvalidArgument);
    return e;
}

uint64_t encode_pvalidate_entry(const PvalidateEntry& e) {
    return (e.page.raw() & ~uint64_t{0xfff}) | (e.huge ? 1 : 0) | (e.validate ? 4 : 0) | (e.ignore_cf ? 8 : 0);
}

void dispatch(CallRegs& regs, VcpuState& vcpu, GuestServices& services) {
    const auto protocol = static_cast<uint32_t>(regs.rax >> 32), call = static_cast<uint32_t>(regs.rax);
    if (protocol == kProtocolCore) {
        regs.rax = core(regs, call, vcpu, services);
    } else if (protocol == kProtocolAttestation && attestation_offered(vcpu)) {
        regs.rax = attestation(regs, call, *vcpu.attestation, services);
    } else if (protocol == kProtocolVtpm && vtpm_offered(vcpu)) {
        regs.rax = vtpm(regs, call, *vcpu.vtpm, services);
    } else {
        regs.rax = kErrUnsupportedProtocol;
    }
}

bool serve(CallRegs& regs, VcpuState& vcpu, GuestServices& services) {
    const PhysAddr caa = vcpu.caa;  // REMAP_CA clears the new area itself
    uint8_t pending = 0;
    if (!services.read_guest(caa, &pending, 1) || pending != 1) return false;
    dispatch(regs, vcpu, services);
    const uint8_t clear = 0;
    (void)services.write_guest(caa, &clear, 1);  // refused only if the area stopped being the guest's meanwhile
    return true;
}

bool vmsa_fits_guest(std::span<const uint8_t> vmsa, uint8_t guest_vmpl, uint64_t sev_features) {
    if (vmsa.size() < kVmsaCheckedBytes) return false;
    return vmsa[kVmsaVmpl] == guest_vmpl && (load_le<uint64_t>(vmsa, kVmsaEfer) & kEferSvme) != 0 &&
           load_le<uint64_t>(vmsa, kVmsaSevFeatures) == sev_features;
}

}  // namespace warden::svsm
