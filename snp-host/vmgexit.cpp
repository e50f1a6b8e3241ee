// VMGEXIT (GHCB spec 56421): the MSR protocol when the GHCB MSR holds a
// request (2.3.1), else the GHCB page it names, which must be the one the
// vCPU registered (SNP requires registration, 2.3.2). The page is guest
// memory: copied, checked, served, and the answer written back.
#include <cstring>

#include "console.hpp"
#include "cpu.hpp"
#include "cpuid_view.hpp"
#include "guest_request.hpp"
#include "host_access.hpp"
#include "npt.hpp"
#include "paging.hpp"
#include "smp.hpp"
#include "vcpu.hpp"
#include "warden/sev/ghcb.hpp"
#include "warden/svm/apic_ids.hpp"
#include "warden/svm/ghcb_msr_server.hpp"

namespace snp_host {
namespace {

namespace msr = warden::sev::msr;
namespace svm = warden::svm;
using warden::sev::GhcbField;
constexpr uint16_t kGhcbMinVersion = 1, kGhcbMaxVersion = 2;  // GHCB spec 56421: versions 1 and 2
// Hypervisor features the host offers (GHCB spec 2.3.1, 0x080): SNP, AP
// creation (each vCPU on the host CPU with its APIC ID), the APIC ID list
// (GET_APIC_IDS), and multiple VMPLs (AP creation at VMPL 1-3 and RUN_VMPL).
constexpr uint64_t kFeatures =
    msr::kHvFeatureSnp | msr::kHvFeatureApCreation | msr::kHvFeatureApicIdList | msr::kHvFeatureMultiVmpl;
constexpr uint32_t kRunVmplFailed = 1;  // RUN_VMPL's error answer (MSR protocol bits 63:32, GHCB exit_info_1)

const char* reason_text(uint8_t set, uint8_t code) {
    if (set == 0) {
        switch (code) {
        case 0: return "general termination request";
        case 1: return "SEV-ES/GHCB protocol range is not supported";
        case 2: return "SEV-SNP features not supported";
        default: return "(GHCB set 0, unassigned)";
        }
    }
    if (set == 3) {  // Warden's own set (docs/igvm.md, "Termination reasons")
        switch (code) {
        case 1: return "Warden: #VC for an event it does not serve";
        case 2: return "Warden: the hypervisor reported failure for a #VC exit";
        case 3: return "Warden: a result left invalid, or unreachable/private memory named";
        case 4: return "Warden: #VC inside the #VC handler";
        case 5: return "Warden: CPUID's C-bit and the measured boot block's disagree";
        case 6: return "Warden: validating SVSM memory failed";
        case 7: return "Warden: a CPU could not share or register its GHCB";
        default: return "Warden: (unassigned)";
        }
    }
    if (set == 4) {  // the harness guest's (guest/harness/ghcb.hpp; docs/harness-guest.md)
        if (code >= 0x20 && code < 0x40)
            return "harness guest: an exception it does not handle (code - 0x20 is the vector)";
        switch (code) {
        case 0: return "harness guest: every check passed";
        case 1: return "harness guest: a #VC it does not serve";
        case 2: return "harness guest: the hypervisor's #VC answer is not one it takes";
        case 3: return "harness guest: #VC inside its #VC handler";
        case 4: return "harness guest: its boot page is not one it takes";
        case 5: return "harness guest: GHCB negotiation failed (or no multi-VMPL feature, or no C-bit)";
        case 6: return "harness guest: its GHCB could not be rescinded, shared or registered";
        case 7: return "harness guest: its secrets page is not one it takes";
        case 8: return "harness guest: the run ended, some check failed";
        case 0x10: return "harness guest: stack protector";
        case 0x11: return "harness guest: pure virtual call";
        default: return "harness guest: (unassigned)";
        }
    }
    return "(unknown reason set)";
}

uint32_t cpuid_reg(const warden::sev::CpuidResult& r, uint8_t reg) {
    return reg == 0 ? r.eax : reg == 1 ? r.ebx : reg == 2 ? r.ecx : r.edx;
}

// A refused RUN_VMPL is answered with an error and the caller goes on;
// Warden's request loop asks again every 10 ms while its guest's AP is
// destroyed, so the line comes at the first refusal and every 100th.
void say_run_vmpl_refused(Vcpu& v, uint64_t target, const char* why) {
    if (v.run_vmpl_refusals++ % 100 == 0)
        log("vCPU {} VMPL{}: RUN_VMPL {} refused ({} so far): {}", v.index, v.vmpl, target, v.run_vmpl_refusals, why);
}

Next serve_msr_protocol(Vcpu& v) {
    ++v.count.msr_protocol;
    auto req = svm::decode_request(v.ghcb_msr);
    if (!req) {
        log("vCPU {}: GHCB MSR value {:#x} is not a valid request: {}", v.index, v.ghcb_msr, req.error());
        return refuse(v, 0, "malformed GHCB MSR protocol request");
    }
    switch (req->code) {
    case msr::Code::kSevInfoRequest:
        v.ghcb_msr = svm::sev_info_response(kGhcbMaxVersion, kGhcbMinVersion, kCBit);
        break;
    case msr::Code::kCpuidRequest:
        // The MSR protocol has no subleaf: ECX 0 (GHCB spec 2.3.1).
        v.ghcb_msr = svm::cpuid_response(cpuid_reg(emulated_cpuid(req->cpuid_function, 0), req->cpuid_register),
                                         req->cpuid_register);
        break;
    case msr::Code::kRegisterGhcbRequest:
        if (v.machine->guest.in_memory(req->gfn << 12, 4096)) {
            v.ghcb_gpa = req->gfn << 12;
            v.ghcb_msr = svm::register_ghcb_response(req->gfn);
            log("vCPU {}: GHCB registered at GPA {:#x}", v.index, v.ghcb_gpa);
        } else {
            v.ghcb_msr = svm::kRegisterGhcbFailed;
        }
        break;
    case msr::Code::kPageStateRequest: {
        const char* why = v.machine->rmp->page_state_change(req->gfn << 12, false, req->page_operation == 1);
        if (why)
            log("vCPU {} VMPL{}: page state change of GFN {:#x} (MSR protocol) answered 1: {}", v.index, v.vmpl,
                req->gfn, why);
        v.ghcb_msr = svm::page_state_response(why ? 1 : 0);
        break;
    }
    case msr::Code::kHvFeaturesRequest: v.ghcb_msr = svm::hv_features_response(kFeatures); break;
    case msr::Code::kRunVmplRequest: {
        const char* why = prepare_run_vmpl(v, req->vmpl);
        if (why) say_run_vmpl_refused(v, req->vmpl, why);
        v.ghcb_msr = svm::run_vmpl_response(why ? kRunVmplFailed : 0);
        return why ? Next::kResume : Next::kSwitch;
    }
    case msr::Code::kTerminateRequest:
        log("vCPU {} VMPL{}: termination requested (MSR protocol): reason set {} code {}: {}", v.index, v.vmpl,
            req->reason_set, req->reason, reason_text(req->reason_set, req->reason));
        return Next::kStop;
    case msr::Code::kApResetHoldRequest: return ap_reset_hold(v);
    default: return refuse(v, 0, "GHCB MSR request the host does not serve");
    }
    return Next::kResume;
}

// The host's copy of the vCPU's GHCB page.
class GhcbCopy {
public:
    uint64_t get(GhcbField f) const {
        uint64_t x;
        std::memcpy(&x, b_ + static_cast<size_t>(f), 8);
        return x;
    }
    bool valid(GhcbField f) const {
        const size_t bit = static_cast<size_t>(f) / 8;
        return b_[warden::sev::kGhcbValidBitmap + bit / 8] >> (bit % 8) & 1;
    }
    // An output: written and marked valid, as the hypervisor does (GHCB spec 2.3.3).
    void put(GhcbField f, uint64_t x) {
        std::memcpy(b_ + static_cast<size_t>(f), &x, 8);
        const size_t bit = static_cast<size_t>(f) / 8;
        b_[warden::sev::kGhcbValidBitmap + bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
    }
    uint8_t* raw() { return b_; }

private:
    alignas(8) uint8_t b_[4096];
};

GhcbCopy ghcb_copies[kMaxCpus];  // one per vCPU

// A buffer the guest names (sw_scratch): inside its GHCB page it is the
// host's copy (written back whole at the end, checked then), elsewhere
// guest memory that the RMP must give the hypervisor for this use
// (host_access.hpp). Empty when refused, the report line printed.
std::span<uint8_t> scratch_bytes(Vcpu& v, uint64_t gpa, uint64_t len, HostUse use, std::string_view what) {
    if (gpa >= v.ghcb_gpa && gpa - v.ghcb_gpa < 4096) {
        const uint64_t off = gpa - v.ghcb_gpa;
        if (len == 0 || len > 4096 - off) {
            (void)refuse(v, gpa, "a sw_scratch buffer that starts in the GHCB page and overruns it");
            return {};
        }
        return {ghcb_copies[v.index].raw() + off, static_cast<size_t>(len)};
    }
    return shared_guest_bytes(v, gpa, len, use, what);
}

// GHCB spec 2.3.4: exit_info_1 = 1 and exit_info_2 = the event to inject
// (#GP(0) here) tell the guest the request failed.
void fail_with_gp(GhcbCopy& g) {
    g.put(GhcbField::kSwExitInfo1, 1);
    g.put(GhcbField::kSwExitInfo2, (1ull << 31) | (1ull << 11) | (3ull << 8) | 13);  // V, EV, exception, #GP
}

Next serve_ioio(Vcpu& v, GhcbCopy& g) {
    const uint64_t info1 = g.get(GhcbField::kSwExitInfo1);
    const uint16_t port = static_cast<uint16_t>(info1 >> 16);
    const bool in = info1 & 1, string = info1 & 4;
    const unsigned size = info1 & 0x10 ? 1 : info1 & 0x20 ? 2 : info1 & 0x40 ? 4 : 0;
    if (size == 0) return refuse(v, 0, "GHCB IOIO without an operand size");
    if (!string) {
        uint32_t value = 0;
        if (!in) {
            if (!g.valid(GhcbField::kRax)) return refuse(v, 0, "GHCB IOIO OUT with RAX not marked valid");
            value = static_cast<uint32_t>(g.get(GhcbField::kRax));
        }
        if (!port_io(v, port, size, in, value)) return Next::kStop;
        if (in) g.put(GhcbField::kRax, value);
        g.put(GhcbField::kSwExitInfo1, 0);
        return Next::kResume;
    }
    const uint64_t count = g.get(GhcbField::kSwExitInfo2), scratch = g.get(GhcbField::kSwScratch);
    if (!g.valid(GhcbField::kSwScratch) || count > 4096 / size) return refuse(v, scratch, "GHCB string IO: bad buffer");
    if (count == 0) {
        g.put(GhcbField::kSwExitInfo1, 0);
        return Next::kResume;
    }
    // IN fills the buffer (a host write), OUT sends it (a host read).
    auto buf = scratch_bytes(v, scratch, count * size, in ? HostUse::kWrite : HostUse::kRead, "GHCB string IO buffer");
    if (buf.empty()) return Next::kStop;
    for (uint64_t i = 0; i < count; ++i) {
        uint32_t value = 0;
        if (!in) std::memcpy(&value, &buf[i * size], size);
        if (!port_io(v, port, size, in, value)) return Next::kStop;
        if (in) std::memcpy(&buf[i * size], &value, size);
    }
    g.put(GhcbField::kSwExitInfo1, 0);
    return Next::kResume;
}

Next serve_cpuid(Vcpu& v, GhcbCopy& g) {
    if (!g.valid(GhcbField::kRax)) return refuse(v, 0, "GHCB CPUID with RAX not marked valid");
    const uint32_t leaf = static_cast<uint32_t>(g.get(GhcbField::kRax));
    const uint32_t sub = g.valid(GhcbField::kRcx) ? static_cast<uint32_t>(g.get(GhcbField::kRcx)) : 0;
    const auto r = emulated_cpuid(leaf, sub);
    g.put(GhcbField::kRax, r.eax);
    g.put(GhcbField::kRbx, r.ebx);
    g.put(GhcbField::kRcx, r.ecx);
    g.put(GhcbField::kRdx, r.edx);
    g.put(GhcbField::kSwExitInfo1, 0);
    return Next::kResume;
}

// MSRs a KVM host answers for an SEV-ES guest that Warden reads: the APIC
// base (the xAPIC is QEMU's, passed through), the TSC, PAT and the MTRR
// capability and default type, read from the CPU. A write to the APIC base
// may only set the enable bit it already has (x2APIC is not in TCG).
constexpr uint32_t kMsrApicBase = 0x1b;
bool msr_readable(uint32_t m) { return m == kMsrApicBase || m == 0x10 || m == 0x277; }

// 48 physical address bits: the emulated CPU's (-cpu ...,phys-bits=48).
constexpr unsigned kPhysBits = 48;

Next serve_msr(Vcpu& v, GhcbCopy& g) {
    const bool write = g.get(GhcbField::kSwExitInfo1) == 1;
    const uint32_t m = static_cast<uint32_t>(g.get(GhcbField::kRcx));
    if (!g.valid(GhcbField::kRcx)) return refuse(v, 0, "GHCB MSR with RCX not marked valid");
    // The MTRRs are the vCPU's own, as KVM emulates them (svm/mtrr.hpp).
    uint64_t value = (g.get(GhcbField::kRdx) << 32) | (g.get(GhcbField::kRax) & 0xffffffff);
    if (write && (!g.valid(GhcbField::kRax) || !g.valid(GhcbField::kRdx)))
        return refuse(v, 0, "GHCB MSR write with RAX or RDX not marked valid");
    switch (svm::mtrr_access(v.mtrrs, m, write, value, kPhysBits)) {
    case svm::MtrrAccess::kNotMtrr: break;
    case svm::MtrrAccess::kDone:
        if (!write) g.put(GhcbField::kRax, value & 0xffffffff), g.put(GhcbField::kRdx, value >> 32);
        g.put(GhcbField::kSwExitInfo1, 0);
        return Next::kResume;
    case svm::MtrrAccess::kGp:
        log("vCPU {} VMPL{}: MTRR {:#x} {} {:#x}: refused as the CPU would (#GP)", v.index, v.vmpl, m,
            write ? "write" : "read", value);
        fail_with_gp(g);
        return Next::kResume;
    }
    if (!write && msr_readable(m)) {
        const uint64_t x = cpu::rdmsr(m);
        g.put(GhcbField::kRax, x & 0xffffffff);
        g.put(GhcbField::kRdx, x >> 32);
        g.put(GhcbField::kSwExitInfo1, 0);
        return Next::kResume;
    }
    if (write && m == kMsrApicBase) {
        if (value == (cpu::rdmsr(m) | (1u << 11))) {
            cpu::wrmsr(m, value);
            g.put(GhcbField::kSwExitInfo1, 0);
            return Next::kResume;
        }
    }
    log("vCPU {}: MSR {:#x} {} through the GHCB: not modelled, answered with #GP", v.index, m,
        write ? "write" : "read");
    fail_with_gp(g);
    return Next::kResume;
}

// MMIO (GHCB spec 4.1.5): info_1 the GPA, info_2 the length, the data in
// the buffer sw_scratch names. The local APIC page is QEMU's xAPIC, passed
// through in aligned 32-bit registers (SDM 11.4.1); nothing else is a device.
constexpr uint64_t kApicPage = 0xfee00000;

// A VMPL 1-3 context's xAPIC access: its own registers, never the host
// CPU's, whose timer and LVTs are VMPL0's (OVMF's SEC programs the timer as
// a free-running counter, masked, vector 5, and would stop Warden's tick).
void lower_vmpl_xapic(Vcpu& v, uint32_t offset, bool write, std::span<uint8_t> buf) {
    auto host_reg = [](uint32_t off) { return reinterpret_cast<volatile uint32_t*>(kApicPage + off); };
    if (!v.xapic_made) {
        v.xapic = warden::svm::VirtualXapic(*host_reg(warden::svm::kXapicId), *host_reg(warden::svm::kXapicVersion));
        v.xapic_made = true;
    }
    const uint64_t now_ns = guest_ns(v);
    uint32_t x = 0;
    if (!write) {
        x = v.xapic.read(offset, now_ns);
        std::memcpy(buf.data(), &x, 4);
        return;
    }
    std::memcpy(&x, buf.data(), 4);
    const warden::svm::XapicWrite w = v.xapic.write(offset, x, now_ns);
    if (w.ipi && !v.said_xapic_ipi) {
        v.said_xapic_ipi = true;
        log("vCPU {} VMPL{}: an IPI through its xAPIC (ICR {:#x}): not sent, IPIs of a lower VMPL are not modelled "
            "(said once)",
            v.index, v.vmpl, x);
    }
    const uint32_t lvt = v.xapic.read(warden::svm::kXapicLvtTimer, now_ns);
    if (w.timer_armed && lvt != v.said_xapic_lvt) {  // each new setting once
        v.said_xapic_lvt = lvt;
        log("vCPU {} VMPL{}: xapic: the guest arms its own local APIC timer: LVT {:#x}, initial count {:#x}, divide "
            "configuration {:#x}",
            v.index, v.vmpl, lvt, v.xapic.read(warden::svm::kXapicTimerInitial, now_ns),
            v.xapic.read(warden::svm::kXapicTimerDivide, now_ns));
    }
}

Next serve_mmio(Vcpu& v, GhcbCopy& g, bool write) {
    const uint64_t gpa = g.get(GhcbField::kSwExitInfo1), len = g.get(GhcbField::kSwExitInfo2);
    const uint64_t scratch = g.get(GhcbField::kSwScratch);
    if (!g.valid(GhcbField::kSwScratch) || len == 0 || len > 8) return refuse(v, gpa, "GHCB MMIO: bad length/buffer");
    // An MMIO read fills the buffer (a host write), a write sends it (a host read).
    auto buf = scratch_bytes(v, scratch, len, write ? HostUse::kRead : HostUse::kWrite, "GHCB MMIO buffer");
    if (buf.empty()) return Next::kStop;
    if (v.machine->guest.contains(gpa, 1)) return refuse(v, gpa, "GHCB MMIO request for guest memory (RAM or flash)");
    if ((gpa & ~uint64_t{0xfff}) == kApicPage && len == 4 && (gpa & 0xf) == 0 && v.vmpl != 0) {
        lower_vmpl_xapic(v, static_cast<uint32_t>(gpa & 0xfff), write, buf);
    } else if ((gpa & ~uint64_t{0xfff}) == kApicPage && len == 4 && (gpa & 0xf) == 0) {
        auto* reg = reinterpret_cast<volatile uint32_t*>(gpa);
        uint32_t x = 0;
        if (write) {
            std::memcpy(&x, buf.data(), 4);
            // The xAPIC is the host's own: an INIT, STARTUP or SMI IPI would reset or
            // divert a host CPU that runs another vCPU. Only fixed and NMI delivery
            // (ICR bits 10:8 = 0 or 4, SDM vol. 3 11.6.1) pass; KVM's virtual APIC
            // would deliver the others to vCPUs, which this host does not model.
            constexpr uint64_t kIcrLow = 0x300;
            const unsigned mode = (x >> 8) & 7;
            if ((gpa & 0xfff) == kIcrLow && mode != 0 && mode != 4)
                return refuse(v, gpa,
                              "an INIT/STARTUP/SMI IPI through the xAPIC (not modelled: it would hit a host CPU)");
            *reg = x;
        } else {
            x = *reg;
            std::memcpy(buf.data(), &x, 4);
        }
    } else {
        log("vCPU {}: MMIO {} of {} bytes at GPA {:#x}: no device modelled there (reads all ones)", v.index,
            write ? "write" : "read", len, gpa);
        if (!write) std::memset(buf.data(), 0xff, len);
    }
    g.put(GhcbField::kSwExitInfo1, 0);
    return Next::kResume;
}

// Page state change (GHCB spec 4.1.6; SPEC-FACTS 5): header {u16 cur_entry,
// u16 end_entry (inclusive), u32 reserved} then entries; the host performs
// each through the RMP seam (RMPUPDATE) and reports progress in cur_entry.
constexpr size_t kPscHeader = 8, kPscMaxEntries = 253;

Next serve_page_state(Vcpu& v, GhcbCopy& g) {
    const uint64_t scratch = g.get(GhcbField::kSwScratch);
    if (!g.valid(GhcbField::kSwScratch)) return refuse(v, 0, "GHCB page state change without sw_scratch");
    // Read, and cur_entry written back.
    auto buf =
        scratch_bytes(v, scratch, kPscHeader + kPscMaxEntries * 8, HostUse::kReadWrite, "page state change buffer");
    if (buf.empty()) return Next::kStop;
    uint16_t cur, end;
    std::memcpy(&cur, &buf[0], 2);
    std::memcpy(&end, &buf[2], 2);
    if (end >= kPscMaxEntries || cur > end + 1u) return refuse(v, scratch, "page state change header out of range");
    for (; cur <= end; ++cur) {
        uint64_t e;
        std::memcpy(&e, &buf[kPscHeader + cur * 8u], 8);
        const uint64_t gpa = ((e >> 12) & ((uint64_t{1} << 40) - 1)) << 12;
        const unsigned op = (e >> 52) & 0xf;
        const bool huge = (e >> 56) & 1;
        if (op != 1 && op != 2) return refuse(v, gpa, "page state change: PSMASH/UNSMASH or an unknown operation");
        if (const char* why = v.machine->rmp->page_state_change(gpa, huge, op == 1)) {
            warden::fmt::FixedString<200> line;
            warden::fmt::format(line, "page state change of a {} page to {}: {}", huge ? "2 MiB" : "4 KiB",
                                op == 1 ? "private" : "shared", why);
            return refuse(v, gpa, line.view());
        }
    }
    std::memcpy(&buf[0], &cur, 2);
    g.put(GhcbField::kSwExitInfo1, 0);
    g.put(GhcbField::kSwExitInfo2, 0);
    return Next::kResume;
}

// AP creation (GHCB spec 4.1.8; SPEC-FACTS 5): exit_info_1 bits 15:0 the
// action (0 create on INIT, 1 create, 2 destroy), 19:16 the target VMPL,
// 63:32 the APIC ID; exit_info_2 the VMSA's GPA; RAX its SEV_FEATURES. The
// page must be a VMSA page in the RMP (RMPADJUST's VMSA bit), as VMRUN of
// an SNP guest requires, and pass the VMSA checks (vmsa_refusal).
//
// At VMPL0 the named vCPU must be idle: its host CPU starts it from a copy
// of the page. At VMPL 1-3 the page becomes the (vCPU, VMPL) context's VMSA,
// run when that vCPU's VMPL0 asks RUN_VMPL (the APIC ID may be the caller's
// own, as an SVSM registers its guest's VMSA); destroy takes it back. Only a
// VMPL as privileged as the caller or less may be created.
Next serve_ap_creation(Vcpu& v, GhcbCopy& g) {
    const uint64_t info1 = g.get(GhcbField::kSwExitInfo1), gpa = g.get(GhcbField::kSwExitInfo2);
    const unsigned action = info1 & 0xffff, vmpl = (info1 >> 16) & 0xf;
    const auto apic_id = static_cast<uint32_t>(info1 >> 32);
    if (action > 2) return refuse(v, gpa, "AP creation with an unknown action");
    if (vmpl >= kVmpls) return refuse(v, gpa, "AP creation at a VMPL past 3");
    if (vmpl < v.vmpl) return refuse(v, gpa, "AP creation of a VMPL more privileged than the caller's");
    const int target = host_cpu_for_apic_id(apic_id);
    if (target < 0) return refuse(v, gpa, "AP creation for an APIC ID with no vCPU");
    if (action == 2) {
        if (vmpl == 0) return refuse(v, gpa, "AP destruction at VMPL0 is not modelled");
        Vcpu& c = context(static_cast<unsigned>(target), vmpl);
        const bool had = c.vmsa.exchange(Vcpu::kNoVmsa, std::memory_order_acq_rel) != Vcpu::kNoVmsa;
        // A context another CPU runs leaves it at its next exit, or from its
        // HLT (vcpu_run, legacy_irq_halt), and that vCPU's VMPL0 runs: the
        // answer waits for that, so nothing of it runs, nor is stored into
        // its page, once the caller is told it is destroyed. The wait ends
        // by the next exit there: a #VC, its slice, Warden's tick.
        uint64_t spins = 0;
        while (&c != &v && context_running(c)) {
            asm volatile("pause");
            ++spins;
        }
        log("vCPU {} VMPL{}: AP destruction: vCPU {} VMPL{} {}{}", v.index, v.vmpl, target, vmpl,
            had ? "has no VMSA now" : "had none (nothing changes)", spins ? ", left where it ran" : "");
        g.put(GhcbField::kSwExitInfo1, 0);
        return Next::kResume;
    }
    if (!g.valid(GhcbField::kRax)) return refuse(v, gpa, "AP creation without SEV_FEATURES in RAX");
    if ((gpa & 4095) || !v.machine->guest.contains(gpa, 4096))
        return refuse(v, gpa, "AP creation: the VMSA GPA is misaligned or outside guest memory");
    if (vmpl == 0 && static_cast<unsigned>(target) == v.index)
        return refuse(v, gpa, "AP creation at VMPL0 for the vCPU that asks");
    static warden::igvm::VmsaPage copy;  // under the console lock: one creation at a time
    ConsoleGuard one_at_a_time;
    const uint64_t features = g.get(GhcbField::kRax);
    if (const char* why = copy_checked_vmsa(*v.machine, gpa, vmpl, &features, copy)) {
        log("vCPU {}: AP creation at VMPL{} refused: {}", v.index, vmpl, why);
        return refuse(v, gpa, why);
    }
    if (vmpl != 0) {
        Vcpu& c = context(static_cast<unsigned>(target), vmpl);
        // The VMSA the context has already (an SVSM created it at the guest's
        // VMPL, then the guest asks for the same page, as edk2's MpInitLib
        // does after CREATE_VCPU): as KVM, which points the vCPU at the page
        // it points at already, nothing changes, running or not.
        if (c.vmsa_gpa() == gpa) {
            log("vCPU {} VMPL{}: AP creation: vCPU {} VMPL{} has the VMSA at GPA {:#x} already: nothing changes",
                v.index, v.vmpl, target, vmpl, gpa);
            g.put(GhcbField::kSwExitInfo1, 0);
            return Next::kResume;
        }
        if (context_running(c)) return refuse(v, gpa, "AP creation replacing the VMSA of a context that runs");
        (void)v.machine->rmp->nested_root(vmpl, true);  // its view, before it can run (built once)
    }
    if (vmpl == 0) {
        if (!request_vcpu(static_cast<unsigned>(target), copy))
            return refuse(v, gpa, "AP creation for a vCPU that already runs");
        log("vCPU {}: AP creation: vCPU {} (APIC ID {}) from the VMSA at GPA {:#x}", v.index, target, apic_id, gpa);
    } else {
        Vcpu& c = context(static_cast<unsigned>(target), vmpl);
        c.index = static_cast<unsigned>(target), c.vmpl = vmpl, c.machine = v.machine;
        c.vmsa.store(gpa | (++c.creations & 0xfff), std::memory_order_release);
        log("vCPU {}: AP creation: vCPU {} VMPL{} runs from the VMSA at GPA {:#x} on RUN_VMPL", v.index, target, vmpl,
            gpa);
    }
    g.put(GhcbField::kSwExitInfo1, 0);
    return Next::kResume;
}

// AP jump table (GHCB spec 4.1.9): exit_info_1 0 sets it to exit_info_2, 1
// gets it there. The host only keeps the value (an SEV-ES guest's OS
// starts its APs through it; edk2's DXE sets it under SNP as well).
Next serve_ap_jump_table(Vcpu& v, GhcbCopy& g) {
    const uint64_t info1 = g.get(GhcbField::kSwExitInfo1), info2 = g.get(GhcbField::kSwExitInfo2);
    if (info1 == 0) {
        v.machine->ap_jump_table.store(info2, std::memory_order_release);
        log("vCPU {} VMPL{}: the AP jump table is at GPA {:#x} (kept, not used by the host)", v.index, v.vmpl, info2);
    } else if (info1 == 1) {
        g.put(GhcbField::kSwExitInfo2, v.machine->ap_jump_table.load(std::memory_order_acquire));
    } else {
        return refuse(v, info1, "AP jump table request other than set (0) or get (1)");
    }
    g.put(GhcbField::kSwExitInfo1, 0);
    return Next::kResume;
}

// GET_APIC_IDS (svm/apic_ids.hpp): RAX the buffer's pages, exit_info_1
// its GPA; a buffer too small learns the pages the list needs. The list is
// a host write into guest memory, so the buffer must be shared.
Next serve_get_apic_ids(Vcpu& v, GhcbCopy& g) {
    if (!g.valid(GhcbField::kRax)) return refuse(v, 0, "GET_APIC_IDS without the buffer's pages in RAX");
    uint32_t ids[kMaxCpus];
    const unsigned n = online_apic_ids(ids);
    const uint64_t gpa = g.get(GhcbField::kSwExitInfo1);
    const auto a = svm::answer_apic_ids(g.get(GhcbField::kRax), gpa, n);
    using Kind = svm::ApicIdAnswer::Kind;
    if (a.kind == Kind::kMisaligned) return refuse(v, gpa, "GET_APIC_IDS with a buffer that is not page aligned");
    if (a.kind == Kind::kFill) {
        auto buf = scratch_bytes(v, gpa, a.bytes, HostUse::kWrite, "GET_APIC_IDS buffer");
        if (buf.empty()) return Next::kStop;
        (void)svm::write_apic_id_list(std::span<const uint32_t>(ids, n), buf);
        log("vCPU {} VMPL{}: GET_APIC_IDS: {} APIC IDs written at GPA {:#x}", v.index, v.vmpl, n, gpa);
    }
    g.put(GhcbField::kRax, a.rax);
    g.put(GhcbField::kSwExitInfo1, 0);
    g.put(GhcbField::kSwExitInfo2, 0);
    return Next::kResume;
}

// RUN_VMPL through the GHCB (GHCB spec 4.1.13): exit_info_1 7:0 the VMPL.
// The answer is the caller's when it runs again: 0, or an error.
Next serve_run_vmpl(Vcpu& v, GhcbCopy& g) {
    const uint64_t info1 = g.get(GhcbField::kSwExitInfo1);
    const char* why = info1 > 0xff ? "RUN_VMPL with bits past 7:0 in exit_info_1" : prepare_run_vmpl(v, info1 & 0xff);
    if (why) say_run_vmpl_refused(v, info1, why);
    g.put(GhcbField::kSwExitInfo1, why ? kRunVmplFailed : 0);
    g.put(GhcbField::kSwExitInfo2, 0);
    return why ? Next::kResume : Next::kSwitch;
}

// SNP guest request, plain or extended (GHCB spec 56421, "SNP Guest Request"):
// answered by guest_request.cpp, never refused (a malformed one gets the
// spec's malformed-input answer, a good one "unsupported").
Next serve_guest_request(Vcpu& v, GhcbCopy& g, bool extended) {
    const warden::svm::GuestRequestExit e{.request_gpa = g.get(GhcbField::kSwExitInfo1),
                                          .response_gpa = g.get(GhcbField::kSwExitInfo2),
                                          .extended = extended,
                                          .rax_valid = g.valid(GhcbField::kRax),
                                          .rbx_valid = g.valid(GhcbField::kRbx),
                                          .data_gpa = g.get(GhcbField::kRax),
                                          .data_pages = g.get(GhcbField::kRbx)};
    const auto a = answer_guest_request(v, e);
    g.put(GhcbField::kSwExitInfo1, a.info1);
    g.put(GhcbField::kSwExitInfo2, a.info2);
    return Next::kResume;
}

Next serve_ghcb_page(Vcpu& v) {
    ++v.count.ghcb_page;
    if (v.ghcb_msr != v.ghcb_gpa)
        return refuse(v, v.ghcb_msr, "VMGEXIT with a GHCB GPA that is not the registered one (GHCB spec 2.3.2)");
    // The GHCB is shared by definition (GHCB spec 2.3.2): a private page is
    // refused before the copy (ciphertext) and again before the write-back,
    // as the exit may have changed its page state.
    auto page = shared_guest_bytes(v, v.ghcb_gpa, 4096, HostUse::kRead, "GHCB page");
    if (page.empty()) return Next::kStop;
    GhcbCopy& g = ghcb_copies[v.index];
    std::memcpy(g.raw(), page.data(), 4096);
    // The GHCB's own header (GHCB spec 2.3.2): usage 0 is the standard layout,
    // the only one served. The version must not be above what the host
    // offers; 0 is taken as KVM takes it (sev_es_validate_vmgexit checks the
    // usage only): edk2's SEC writes 0 there (OvmfPkg/Sec/AmdSev.c takes the
    // maximum from the GHCB MSR value after overwriting it with the GHCB's
    // address), and the version in force is the one the MSR protocol agreed.
    uint16_t version;
    uint32_t usage;
    std::memcpy(&version, g.raw() + warden::sev::kGhcbProtocolVersion, sizeof version);
    std::memcpy(&usage, g.raw() + warden::sev::kGhcbUsage, sizeof usage);
    if (usage != 0) return refuse(v, v.ghcb_gpa, "GHCB usage other than 0 (the standard layout)");
    if (version > kGhcbMaxVersion) {
        log("vCPU {} VMPL{}: GHCB at {:#x}: protocol version {}", v.index, v.vmpl, v.ghcb_gpa, version);
        return refuse(v, v.ghcb_gpa, "GHCB protocol version above the 2 the host offers");
    }
    if (version == 0 && !v.noted_version_0) {
        v.noted_version_0 = true;
        log("vCPU {} VMPL{}: GHCB protocol version 0 in the page (edk2's SEC writes 0): taken, as KVM takes it",
            v.index, v.vmpl);
    }
    const uint64_t code = g.get(GhcbField::kSwExitCode);
    Next n = Next::kResume;
    switch (code) {
    case warden::sev::exit::kIoio: n = serve_ioio(v, g); break;
    case warden::sev::exit::kCpuid: n = serve_cpuid(v, g); break;
    case warden::sev::exit::kMsr: n = serve_msr(v, g); break;
    case warden::sev::exit::kPageStateChange: n = serve_page_state(v, g); break;
    case warden::sev::exit::kApCreation: n = serve_ap_creation(v, g); break;
    case warden::sev::exit::kGetApicIds: n = serve_get_apic_ids(v, g); break;
    case warden::sev::exit::kRunVmpl: n = serve_run_vmpl(v, g); break;
    case warden::sev::exit::kApHltLoop: n = ap_reset_hold(v); break;
    case warden::sev::exit::kApJumpTable: n = serve_ap_jump_table(v, g); break;
    case warden::sev::exit::kMmioRead:
    case warden::sev::exit::kMmioWrite: n = serve_mmio(v, g, code == warden::sev::exit::kMmioWrite); break;
    case warden::sev::exit::kGuestRequest:
    case warden::sev::exit::kExtGuestRequest:
        n = serve_guest_request(v, g, code == warden::sev::exit::kExtGuestRequest);
        break;
    case warden::sev::exit::kHvFeatures:
        g.put(GhcbField::kSwExitInfo1, 0);
        g.put(GhcbField::kSwExitInfo2, kFeatures);
        break;
    case warden::sev::exit::kTermination:
        // Warden terminates through the MSR protocol; this form's field layout
        // is printed raw (not checked against the GHCB spec yet).
        log("vCPU {} VMPL{}: termination requested (GHCB page): exit_info_1 {:#x}, exit_info_2 {:#x}", v.index, v.vmpl,
            g.get(GhcbField::kSwExitInfo1), g.get(GhcbField::kSwExitInfo2));
        return Next::kStop;
    default:
        log("vCPU {}: GHCB exit code {:#x} (info1 {:#x}, info2 {:#x}) is not served yet", v.index, code,
            g.get(GhcbField::kSwExitInfo1), g.get(GhcbField::kSwExitInfo2));
        return refuse(v, v.ghcb_gpa, "a GHCB exit the host does not model");
    }
    if (n == Next::kStop) return n;
    if (!host_may_access(v, v.ghcb_gpa, 4096, HostUse::kWrite, "GHCB page write-back")) return Next::kStop;
    std::memcpy(page.data(), g.raw(), 4096);
    return n;
}

}  // namespace

Next serve_vmgexit(Vcpu& v) {
    if (msr::CodeField::get(v.ghcb_msr) != 0) return serve_msr_protocol(v);
    return serve_ghcb_page(v);
}

}  // namespace snp_host
