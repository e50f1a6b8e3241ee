// The VMRUN loop of one vCPU with SEV-ES semantics (APM vol. 2 15.35): the
// guest never sees a raw intercept. CPUID, IOIO and other MSRs become #VC
// with the exit code as error code, delivered in software; VMGEXIT is
// served; PVALIDATE/RMPADJUST are emulated from #UD through the RMP seam;
// the GHCB MSR and SEV_STATUS are answered as the hardware holds them.
#include "vcpu.hpp"

#include <atomic>
#include <cstring>
#include <utility>

#include "console.hpp"
#include "cpu.hpp"
#include "npt.hpp"
#include "paging.hpp"
#include "smp.hpp"
#include "warden/svm/insn_decode.hpp"
#include "warden/svm/vc_frame.hpp"

extern "C" void svm_run(uint64_t vmcb_pa, uint64_t host_save_pa, snp_host::GuestGprs* gprs, uint64_t interruptible);
extern "C" const char svm_run_resume[];

namespace snp_host {
namespace {

using namespace vmcb;
namespace svm = warden::svm;

constexpr uint32_t kMsrVmHsavePa = 0xc0010117;  // APM vol. 2 15.30.4
constexpr uint32_t kMsrGhcb = 0xc0010130, kMsrSevStatus = 0xc0010131;
constexpr uint64_t kSevStatusSev = 1, kSevStatusEs = 2;  // SEV_STATUS bits 0, 1; bit n+2 = SEV_FEATURES bit n
constexpr uint8_t kVectorVc = 29, kVectorUd = 6, kVectorGp = 13, kVectorPf = 14;
constexpr uint64_t kRflagsCf = 1, kRflagsArith = 0x8d5;  // CF PF AF ZF SF OF
constexpr uint64_t kSlicesPerSecond = 100;               // a lower VMPL's slice: 10 ms (slice_over)

// The context's mode, from its VMCB (APM vol. 2 3.1.1 CR0, 3.1.7 EFER).
bool protected_mode(Vcpu& v) { return v.vmcb().get(kCr0) & 1; }      // CR0.PE
bool paging_on(Vcpu& v) { return (v.vmcb().get(kCr0) >> 31) & 1; }   // CR0.PG
bool long_mode(Vcpu& v) { return (v.vmcb().get(kEfer) >> 10) & 1; }  // EFER.LMA

alignas(4096) uint8_t host_hsave[kMaxCpus][4096];
std::atomic<const Vcpu*> running_context[kMaxCpus];
// The context a CPU is leaving by a switch, until its state is in its VMSA
// page: it still runs for AP creation and destruction, so that a VMSA page
// made anew after a destruction is never overwritten by the old state.
std::atomic<const Vcpu*> leaving_context[kMaxCpus];
alignas(4096) uint8_t msrpm[8192];
alignas(4096) uint8_t iopm[12288];

uint64_t addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

// MSRs whose guest values live in the VMCB/VMSA (and the CPU while the guest
// runs): not intercepted, as a SEV-ES hypervisor leaves them (KVM sev.c
// sev_es_init_vmcb). Everything else is intercepted (APM vol. 2 15.11).
void msrpm_pass(uint32_t msr) {
    uint32_t base;
    if (msr < 0x2000) {
        base = 0;
    } else if (msr >= 0xc0000000 && msr < 0xc0002000) {
        base = 0x800 * 8, msr -= 0xc0000000;
    } else {
        return;
    }
    const uint32_t bit = base + msr * 2;
    msrpm[bit / 8] &= static_cast<uint8_t>(~(3u << (bit % 8)));
}

void permission_maps_init() {
    std::memset(msrpm, 0xff, sizeof msrpm);
    std::memset(iopm, 0xff, sizeof iopm);
    for (uint32_t m : {0xc0000080u, 0xc0000081u, 0xc0000082u, 0xc0000083u, 0xc0000084u, 0xc0000100u, 0xc0000101u,
                       0xc0000102u, 0xc0000103u, 0x174u, 0x175u, 0x176u, 0x277u})
        msrpm_pass(m);
}

class GuestPhys final : public svm::GuestPhysReader {
public:
    explicit GuestPhys(const GuestMemory& g) : g_(g) {}
    bool read_u64(uint64_t gpa, uint64_t& out) override {
        auto b = g_.bytes(gpa, 8);
        if (b.empty()) return false;
        std::memcpy(&out, b.data(), 8);
        return true;
    }

private:
    const GuestMemory& g_;
};

// With paging off a linear address is the physical one, and private
// (choose_nested_root); 4-level paging otherwise (the only paging Warden,
// the harness guest and OVMF use: OVMF's reset vector goes from flat
// protected mode straight to long mode).
warden::Result<svm::GuestTranslation> translate(Vcpu& v, uint64_t gva, bool write) {
    if (!paging_on(v))
        return svm::GuestTranslation{.gpa = gva & 0xffffffff, .writable = true, .encrypted = true, .page_bytes = 4096};
    if (!long_mode(v)) return warden::Fail(warden::Error::kUnsupported);  // 32-bit or PAE paging
    GuestPhys phys(v.machine->guest);
    return svm::walk(phys, v.vmcb().get(kCr3), kCBitMask, gva, write);
}

// The CPU's own accesses that this host performs in software for the guest
// (instruction bytes, the IDT and TSS, the #VC frame) are RMP-checked at the
// context's VMPL, as the CPU's would be (APM vol. 2 15.36.10): a 2 MiB
// entry met through the host's 4 KiB view is PSMASHed first, as the CPU's
// access would have been (on_npf), then the RMP's verdict holds. nullptr,
// or why the CPU's access would fault.
enum class CpuUse : uint8_t { kRead, kWrite, kFetch };

const char* cpu_access_refusal(Vcpu& v, uint64_t gpa, bool c_bit, CpuUse use) {
    const uint64_t page = gpa & ~uint64_t{4095};
    const bool user = v.vmcb().get<uint8_t>(kCpl) == 3;
    for (int attempt = 0; attempt < 2; ++attempt) {
        const auto why = v.machine->rmp->explain_access(v.vmpl, page, c_bit, use == CpuUse::kWrite,
                                                        use == CpuUse::kFetch, false, user);
        if (why.fault == RmpFault::kNone) return nullptr;
        if (attempt == 0 && (c_bit || use == CpuUse::kFetch) && v.machine->rmp->smash_for_access(page)) continue;
        return why.reason;
    }
    return nullptr;
}

// Guest memory through the guest's page tables, as the CPU reaches it.
// false when unmapped, outside RAM, or refused by the RMP (*why says so).
bool copy_guest_virt(Vcpu& v, uint64_t gva, uint8_t* buf, size_t len, CpuUse use, const char** why = nullptr) {
    const bool write = use == CpuUse::kWrite;
    while (len > 0) {
        auto t = translate(v, gva, write);
        if (!t) return false;
        const size_t in_page = 4096 - (gva & 4095), n = len < in_page ? len : in_page;
        auto b = v.machine->guest.bytes(t->gpa, n);
        if (b.empty()) return false;
        if (const char* refused = cpu_access_refusal(v, t->gpa, t->encrypted, use)) {
            if (why) *why = refused;
            return false;
        }
        if (write) {
            std::memcpy(b.data(), buf, n);
        } else {
            std::memcpy(buf, b.data(), n);
        }
        gva += n, buf += n, len -= n;
    }
    return true;
}

void advance(Vcpu& v, unsigned length) { v.vmcb().set(kRip, v.vmcb().get(kRip) + length); }

// The instruction at RIP: bytes read up to where the mapping ends, then decoded.
warden::Result<svm::Decoded> decode_at_rip(Vcpu& v) {
    uint8_t bytes[svm::kMaxInsnLength];
    const uint64_t rip = v.vmcb().get(kRip);
    size_t n = 0;
    while (n < sizeof bytes && copy_guest_virt(v, rip + n, bytes + n, 1, CpuUse::kFetch)) ++n;
    return svm::decode_intercepted(std::span<const uint8_t>(bytes, n));
}

void inject(Vcpu& v, uint8_t vector, bool has_error, uint32_t error) {
    uint64_t e = vector | kEventException | kEventValid;
    if (has_error) e |= kEventErrorValid | (uint64_t{error} << 32);
    v.vmcb().set(kEventInject, e);
}

// #VC in software (probe section 3): the frame the CPU would push, through
// the guest's IDT gate 29, on its IST stack if the gate names one.
// IDT entry 29 (gate_size bytes each) into out: nullptr, or why the CPU could not read it.
const char* read_vc_gate(Vcpu& v, std::span<uint8_t> out) {
    auto vm = v.vmcb();
    const uint32_t idt_limit = vm.get<uint32_t>(kIdtr + kSegLimit);
    if (idt_limit < kVectorVc * out.size() + out.size() - 1) return "#VC with no IDT gate 29 (IDT limit too small)";
    const char* why = nullptr;
    if (!copy_guest_virt(v, vm.get(kIdtr + kSegBase) + kVectorVc * out.size(), out.data(), out.size(), CpuUse::kRead,
                         &why))
        return why ? why : "#VC: the IDT is not mapped";
    return nullptr;
}

// Outside long mode (OVMF's reset vector, flat 32-bit protected mode): an
// 8-byte gate, the frame on the interrupted stack (svm::build_exception_frame32).
Next deliver_vc_protected(Vcpu& v, uint64_t exit_code) {
    auto vm = v.vmcb();
    uint8_t gate_bytes[svm::kIdtGate32Size];
    if (const char* why = read_vc_gate(v, gate_bytes)) return refuse(v, 0, why);
    const char* why = nullptr;
    auto gate = svm::decode_gate32(gate_bytes);
    if (!gate) return refuse(v, 0, "#VC: IDT gate 29 is not a present 32-bit interrupt/trap gate");
    const svm::Interrupted at{.rip = vm.get(kRip),
                              .rsp = vm.get(kRsp),
                              .rflags = vm.get(kRflags),
                              .cs = vm.get<uint16_t>(kCs + kSegSelector),
                              .ss = vm.get<uint16_t>(kSs + kSegSelector),
                              .cpl = vm.get<uint8_t>(kCpl)};
    auto d = svm::build_exception_frame32(at, *gate, static_cast<uint32_t>(exit_code));
    if (!d) return refuse(v, 0, "#VC: gate 29's selector differs from CS (not modelled)");
    const uint64_t frame_at = vm.get(kSs + kSegBase) + d->esp;
    if (!copy_guest_virt(v, frame_at, reinterpret_cast<uint8_t*>(d->frame.data()), sizeof d->frame, CpuUse::kWrite,
                         &why))
        return refuse(v, frame_at, why ? why : "#VC: the handler's stack is not writable guest memory");
    vm.set(kRsp, (vm.get(kRsp) & ~uint64_t{0xffffffff}) | d->esp);
    vm.set(kRip, d->eip);
    vm.set(kRflags, d->eflags);
    return Next::kResume;
}

Next deliver_vc(Vcpu& v, uint64_t exit_code) {
    auto vm = v.vmcb();
    ++v.count.vc;
    if (!long_mode(v)) {
        if (!protected_mode(v)) return refuse(v, 0, "#VC in real mode (not modelled)");
        return deliver_vc_protected(v, exit_code);
    }
    uint8_t gate_bytes[svm::kIdtGateSize];
    if (const char* why = read_vc_gate(v, gate_bytes)) return refuse(v, 0, why);
    const char* why = nullptr;
    auto gate = svm::decode_gate(gate_bytes);
    if (!gate) return refuse(v, 0, "#VC: IDT gate 29 is not a present 64-bit interrupt/trap gate");
    const uint8_t cpl = vm.get<uint8_t>(kCpl);
    uint64_t stack_top = 0;
    if (const size_t off = svm::tss_stack_offset(*gate, cpl); off != 0) {
        if (!copy_guest_virt(v, vm.get(kTr + kSegBase) + off, reinterpret_cast<uint8_t*>(&stack_top), 8, CpuUse::kRead,
                             &why))
            return refuse(v, 0, why ? why : "#VC: the TSS is not mapped");
    }
    const svm::Interrupted at{.rip = vm.get(kRip),
                              .rsp = vm.get(kRsp),
                              .rflags = vm.get(kRflags),
                              .cs = vm.get<uint16_t>(kCs + kSegSelector),
                              .ss = vm.get<uint16_t>(kSs + kSegSelector),
                              .cpl = cpl};
    auto d = svm::build_exception_frame(at, *gate, exit_code, stack_top);
    if (!d) return refuse(v, 0, "#VC: the gate or its stack cannot be used");
    // From CPL 3 (a task's CPUID under Warden): CS from the gate's GDT
    // descriptor, CPL 0, SS null (APM vol. 2 8.9.2-8.9.3), as the CPU does.
    uint16_t cs_attributes = 0;
    if (d->cs != at.cs) {
        if (at.cpl != 3) return refuse(v, 0, "#VC: gate 29's selector differs from CS at CPL 0 (not modelled)");
        uint8_t desc[svm::kSegmentDescriptorSize];
        const uint64_t at_gdt = vm.get(kGdtr + kSegBase) + (d->cs & ~uint64_t{7});
        if ((d->cs | 7u) > vm.get<uint32_t>(kGdtr + kSegLimit) ||
            !copy_guest_virt(v, at_gdt, desc, sizeof desc, CpuUse::kRead, &why))
            return refuse(v, 0, why ? why : "#VC: gate 29's code segment is outside the GDT");
        auto attributes = svm::code_segment_attributes(desc);
        if (!attributes) return refuse(v, 0, "#VC: gate 29's code segment is not a present 64-bit ring-0 code segment");
        cs_attributes = *attributes;
    }
    if (!copy_guest_virt(v, d->rsp, reinterpret_cast<uint8_t*>(d->frame.data()), sizeof d->frame, CpuUse::kWrite, &why))
        return refuse(v, d->rsp, why ? why : "#VC: the handler's stack is not mapped writable (the CPU would #DF)");
    vm.set(kRsp, d->rsp);
    vm.set(kRip, d->rip);
    vm.set(kRflags, d->rflags);
    if (d->cs != at.cs) {
        vm.set<uint16_t>(kCs + kSegSelector, d->cs);
        vm.set<uint16_t>(kCs + kSegAttrib, cs_attributes);
        vm.set<uint32_t>(kCs + kSegLimit, 0xffffffff);
        vm.set(kCs + kSegBase, 0);
        vm.set<uint8_t>(kCpl, 0);
        vm.set<uint16_t>(kSs + kSegAttrib, 0);
        vm.set<uint32_t>(kSs + kSegLimit, 0);
        vm.set(kSs + kSegBase, 0);
    }
    if (d->ss != at.ss) vm.set<uint16_t>(kSs + kSegSelector, d->ss);
    return Next::kResume;
}

Next on_msr(Vcpu& v) {
    const bool write = v.vmcb().get(kExitInfo1) == 1;
    const uint32_t msr = static_cast<uint32_t>(v.gprs.rcx);
    if (msr != kMsrGhcb && msr != kMsrSevStatus) return deliver_vc(v, kExitMsr);
    auto insn = decode_at_rip(v);
    if (!insn || (insn->insn != svm::Insn::kRdmsr && insn->insn != svm::Insn::kWrmsr))
        return refuse(v, 0, "MSR exit without RDMSR/WRMSR at RIP");
    auto vm = v.vmcb();
    const uint64_t value = (v.gprs.rdx << 32) | (vm.get(kRax) & 0xffffffff);
    if (msr == kMsrGhcb) {
        if (write) {
            v.ghcb_msr = value;
        } else {
            vm.set(kRax, v.ghcb_msr & 0xffffffff);
            v.gprs.rdx = v.ghcb_msr >> 32;
        }
    } else {
        if (write) {  // SEV_STATUS is read-only (SPEC-FACTS 1)
            inject(v, kVectorGp, true, 0);
            return Next::kResume;
        }
        const uint64_t status = kSevStatusSev | kSevStatusEs | (v.sev_features << 2);
        vm.set(kRax, status & 0xffffffff);
        v.gprs.rdx = status >> 32;
    }
    advance(v, insn->length);
    return Next::kResume;
}

const char* rmp_status_text(uint32_t eax) {
    switch (eax) {
    case kRmpFailInput: return "FAIL_INPUT: an operand out of range, or an address not aligned to the size asked";
    case kRmpFailPermission:
        return "FAIL_PERMISSION: a target VMPL not below the caller's, or a right the caller does not hold";
    case kRmpFailSizeMismatch: return "FAIL_SIZEMISMATCH: the size asked differs from the RMP entry's";
    default: return "a failure status";
    }
}

// PVALIDATE, RMPADJUST: CPL 0 only (#GP otherwise, APM vol. 3); the page
// named by the GVA in RAX, through the guest's page tables; the answer from
// the RMP seam in EAX, CF for "no change".
Next on_rmp_instruction(Vcpu& v, const svm::Decoded& insn) {
    auto vm = v.vmcb();
    if (vm.get<uint8_t>(kCpl) != 0) {
        inject(v, kVectorGp, true, 0);
        return Next::kResume;
    }
    const uint64_t gva = vm.get(kRax);
    // PVALIDATE takes ECX/EDX, RMPADJUST RCX/RDX; the model judges their
    // values. The GVA must be aligned to the page size asked for (FAIL_INPUT
    // otherwise, as an operand).
    const bool pvalidate = insn.insn == svm::Insn::kPvalidate;
    const uint64_t rcx = pvalidate ? v.gprs.rcx & 0xffffffff : v.gprs.rcx;
    const uint64_t rdx = pvalidate ? v.gprs.rdx & 0xffffffff : v.gprs.rdx;
    const uint64_t align = rcx == 1 ? (uint64_t{2} << 20) : 4096;
    uint32_t eax = kRmpFailInput;
    bool carry = false;
    auto t = translate(v, gva, false);
    if (!t) {
        // The CPU takes the guest's #PF on a GVA its tables do not map (APM vol. 3
        // PVALIDATE/RMPADJUST: the address is translated as a read).
        log("vCPU {} VMPL{}: {} of GVA {:#x}, which the guest does not map: #PF injected (RIP {:#x})", v.index, v.vmpl,
            svm::insn_name(insn.insn), gva, vm.get(kRip));
        vm.set(kCr2, gva);
        inject(v, kVectorPf, true, 0);
        return Next::kResume;
    }
    const uint64_t gpa = t->gpa & ~uint64_t{4095};
    PvalidateOutcome r{kRmpFailInput};
    if (pvalidate) {
        ++v.count.pvalidate;
        if (!(gva & (align - 1)))
            r = v.machine->rmp->pvalidate(v.vmpl, gpa, static_cast<uint32_t>(rcx), static_cast<uint32_t>(rdx));
    } else {
        ++v.count.rmpadjust;
        if (!(gva & (align - 1))) r = v.machine->rmp->rmpadjust(v.vmpl, gpa, rcx, rdx);
    }
    switch (r.fault) {
    case RmpFault::kNone: break;
    case RmpFault::kGp: inject(v, kVectorGp, true, 0); return Next::kResume;
    case RmpFault::kVc: return deliver_vc(v, r.fault_code);
    case RmpFault::kNpf:
        log("vCPU {} VMPL{}: {} of GPA {:#x}: the RMP raises #NPF {:#x}: {}", v.index, v.vmpl,
            svm::insn_name(insn.insn), gpa, r.fault_code, r.reason);
        return refuse(v, gpa, r.reason);
    }
    eax = r.eax, carry = r.carry;
    // What the hardware answers only in EAX/CF is still the host's to report
    // (issue 16: a checker as much as a platform): a failure gets a line, a
    // PVALIDATE that changed nothing (CF=1) is counted.
    if (eax != kRmpSuccess)
        log("vCPU {} VMPL{}: {} of GPA {:#x} (RIP {:#x}) fails with EAX {}: {}", v.index, v.vmpl,
            svm::insn_name(insn.insn), gpa, vm.get(kRip), eax, rmp_status_text(eax));
    if (carry) ++v.count.unchanged;
    vm.set(kRax, uint64_t{eax});
    vm.set(kRflags, (vm.get(kRflags) & ~kRflagsArith) | (carry ? kRflagsCf : 0));
    advance(v, insn.length);
    return Next::kResume;
}

Next on_ud(Vcpu& v) {
    auto insn = decode_at_rip(v);
    if (insn && (insn->insn == svm::Insn::kPvalidate || insn->insn == svm::Insn::kRmpadjust))
        return on_rmp_instruction(v, *insn);
    inject(v, kVectorUd, false, 0);  // a real #UD: the guest's own
    return Next::kResume;
}

Next on_vmmcall(Vcpu& v) {
    auto insn = decode_at_rip(v);
    if (!insn) return refuse(v, 0, "VMMCALL exit without a decodable instruction at RIP");
    if (insn->insn != svm::Insn::kVmgexit) return deliver_vc(v, kExitVmmcall);
    ++v.count.vmgexits;
    const Next n = serve_vmgexit(v);
    if (n != Next::kStop) advance(v, insn->length);  // a switch resumes past it later
    return n;
}

Next on_hlt(Vcpu& v) {
    // A guest VMPL's HLT cannot sleep in the CPU: its interrupts are the
    // host's model's, and a physical one would only switch to VMPL0. With
    // IF=0 too (edk2's APs park in CLI; HLT): it waits there for VMPL0's turn.
    if (v.vmpl != 0) return legacy_irq_halt(v);
    if ((v.vmcb().get(kRflags) >> 9) & 1) {
        // Interrupts reach the guest directly (the INTR intercept is off): let the
        // guest run this HLT itself, once, so the vCPU sleeps until one arrives
        // instead of spinning through VMRUN. The intercept is back after the next
        // exit, so a HLT with interrupts off is still seen and reported.
        v.vmcb().set<uint32_t>(kInterceptWord3, v.vmcb().get<uint32_t>(kInterceptWord3) & ~kIntrHlt);
        return Next::kResume;
    }
    log("vCPU {} VMPL{}: HLT at RIP {:#x} with IF={}: no interrupt source is modelled, the vCPU stops", v.index, v.vmpl,
        v.vmcb().get(kRip), (v.vmcb().get(kRflags) >> 9) & 1);
    return Next::kStop;
}

Next on_npf(Vcpu& v) {
    ++v.count.npf;
    const uint64_t gpa = v.vmcb().get(kExitInfo2), err = v.vmcb().get(kExitInfo1);
    // KVM maps every GPA outside RAM as MMIO with reserved bits set, so an SEV-ES
    // guest's access through a shared mapping becomes #VC(NPF) and the guest asks
    // for the access through the GHCB (GHCB spec 4.1.5). Through the private view
    // there is nothing to emulate: the hardware faults.
    if (!(gpa & kCBitMask) && !v.machine->guest.contains(gpa, 1) && gpa < (uint64_t{4} << 30)) {
        if (v.count.npf <= 2)
            log("vCPU {} VMPL{}: MMIO at GPA {:#x} (RIP {:#x}) becomes #VC(NPF)", v.index, v.vmpl, gpa,
                v.vmcb().get(kRip));
        return deliver_vc(v, kExitNpf);
    }
    const uint64_t page = gpa & ~kCBitMask;
    // With paging off every access is private (choose_nested_root).
    const bool unpaged = !paging_on(v);
    const bool c_bit = (gpa & kCBitMask) || unpaged;
    const bool is_private = c_bit || (err & 16) || ((err >> 33) & 1);
    // KVM answers an RMP fault on a 2 MiB RMP entry reached through a 4 KiB
    // nested leaf (the Page-Size check, APM vol. 2 15.36.10) by PSMASHing the
    // entry, and the access is retried (KVM sev.c, sev_handle_rmp_fault). The
    // host's leaves are all 4 KiB, so it does the same; the retry then meets
    // the RMP's real verdict.
    if (is_private && v.machine->guest.contains(page, 1) && v.machine->rmp->smash_for_access(page)) {
        log("vCPU {} VMPL{}: GPA {:#x} RIP {:#x}: 4 KiB access to a 2 MiB RMP entry: PSMASHed, the access retried",
            v.index, v.vmpl, gpa, v.vmcb().get(kRip));
        return Next::kResume;
    }
    // A shared data access to a private page never validated: KVM exits to
    // QEMU, which converts the page to shared and the access is retried
    // (OVMF relies on it for its first GHCB page, which no launch update
    // covers). Walks and fetches are private accesses: never converted.
    if (!c_bit && !(err & 16) && !((err >> 33) & 1) && v.machine->guest.contains(page, 1) &&
        v.machine->rmp->share_on_fault(page)) {
        if (++v.implicit_shares <= 4)
            log("vCPU {} VMPL{}: shared access to GPA {:#x} (RIP {:#x}), private and never validated: made shared, as "
                "KVM and QEMU convert it on such a fault",
                v.index, v.vmpl, page, v.vmcb().get(kRip));
        return Next::kResume;
    }
    // A shared-alias leaf of a private page is filled on first use (npt.hpp).
    if (!c_bit && v.machine->guest.contains(page, 1) && v.machine->rmp->use_shared_alias(page, (err >> 33) & 1))
        return Next::kResume;
    if (v.machine->guest.contains(page, 1)) {
        // Guest RAM: the nested view is the RMP's, so the RMP says why (APM vol. 2
        // 15.36.10): a private access to an unvalidated page is #VC 0x404, the
        // rest is the report of what the hardware faults on.
        const auto why = v.machine->rmp->explain_access(v.vmpl, page, c_bit, err & 2, err & 16, (err >> 33) & 1,
                                                        v.vmcb().get<uint8_t>(kCpl) == 3);
        if (why.fault == RmpFault::kVc) {
            log("vCPU {} VMPL{}: GPA {:#x} RIP {:#x}: {}: #VC {:#x}", v.index, v.vmpl, gpa, v.vmcb().get(kRip),
                why.reason, why.fault_code);
            return deliver_vc(v, why.fault_code);
        }
        if (why.fault == RmpFault::kNone && (v.npf_retry_gpa != gpa || v.npf_retry_rip != v.vmcb().get(kRip))) {
            // The RMP allows it now: most likely another vCPU changed the RMP
            // between this fault and the question (the leaf is rewritten).
            // Retried once; the same fault again is the view's own limit.
            v.npf_retry_gpa = gpa, v.npf_retry_rip = v.vmcb().get(kRip);
            return Next::kResume;
        }
        log("vCPU {} VMPL{}: nested page fault, GPA {:#x} ({} view), error {:#x}", v.index, v.vmpl, gpa,
            c_bit ? "private" : "shared", err);
        return refuse(
            v, gpa,
            why.fault == RmpFault::kNone ? "the nested view was stricter than the RMP (an NPT limit)" : why.reason);
    }
    log("vCPU {} VMPL{}: nested page fault, GPA {:#x} ({} view), error {:#x} ({}{}{})", v.index, v.vmpl, gpa,
        gpa & kCBitMask ? "private" : "shared", err, err & 1 ? "present" : "not present", err & 2 ? ", write" : "",
        err & 16 ? ", fetch" : "");
    return refuse(v, gpa, gpa & kCBitMask ? "private access outside guest memory" : "access outside guest memory");
}

// Whether the page fault behind a triple fault at an IDT entry (CR2) is one
// the guest's own tables and the RMP deny: seen under L1's TCG right after
// an exit the host served, with Warden's and the harness's IDT mapped and
// readable (docs/snp-host.md, "TCG's void runs"). A guest that truly loses
// its IDT fails every run alike, so a void here is never a pass.
bool idt_fault_is_the_guests(Vcpu& v) {
    auto vm = v.vmcb();
    const uint64_t cr2 = vm.get(kCr2), base = vm.get(kIdtr + kSegBase);
    const uint32_t limit = vm.get<uint32_t>(kIdtr + kSegLimit);
    if (limit == 0 || cr2 < base || cr2 > base + limit) return true;  // not a read of the IDT
    const auto t = translate(v, cr2, false);
    if (!t) return true;
    const auto why = v.machine->rmp->explain_access(v.vmpl, t->gpa, t->encrypted, false, false, false, false);
    return why.fault != RmpFault::kNone;
}

// A triple fault: the CPU could not deliver an exception. Say what state made it so.
Next on_shutdown(Vcpu& v) {
    auto vm = v.vmcb();
    const uint32_t idt_limit = vm.get<uint32_t>(kIdtr + kSegLimit);
    log("vCPU {} VMPL{}: triple fault at RIP {:#x}: RSP {:#x}, CR2 {:#x}, IDT base {:#x} limit {:#x}{}", v.index,
        v.vmpl, vm.get(kRip), vm.get(kRsp), vm.get(kCr2), vm.get(kIdtr + kSegBase), idt_limit,
        idt_limit == 0 ? " (no IDT: the first exception is fatal)" : "");
    if (!idt_fault_is_the_guests(v))
        void_run(v, "a triple fault reading an IDT entry the guest's tables map and the RMP lets it read");
    if (vm.get(kRsp) == 0)
        log("vCPU {}: RSP is 0: a push from here writes 0xfffffffffffffff8, which the guest's page tables must map",
            v.index);
    return refuse(v, 0, "shutdown (triple fault) in the guest");
}

Next handle_exit(Vcpu& v) {
    const uint64_t code = v.vmcb().get(kExitCode) & 0xffffffff;
    switch (code) {
    case kExitIntr: return legacy_irq_physical(v);
    case kExitCpuid: return deliver_vc(v, kExitCpuid);
    case kExitIoio: return deliver_vc(v, kExitIoio);
    case kExitMsr: return on_msr(v);
    case kExitHlt: return on_hlt(v);
    case kExitVmmcall: return on_vmmcall(v);
    case kExitUd: return on_ud(v);
    case kExitNpf: return on_npf(v);
    case kExitShutdown: return on_shutdown(v);
    case kExitVmrun:
    case kExitVmload:
    case kExitVmsave:
    case kExitStgi:
    case kExitClgi:
    case kExitSkinit: return refuse(v, 0, "an SVM instruction in an SNP guest");
    case kExitInvalid: return refuse(v, 0, "VMRUN refused the VMCB (VMEXIT_INVALID): the VMSA's state is invalid");
    default:
        log("vCPU {}: unexpected exit {:#x} info1 {:#x} info2 {:#x}", v.index, code, v.vmcb().get(kExitInfo1),
            v.vmcb().get(kExitInfo2));
        return refuse(v, 0, "an exit the host does not model");
    }
}

uint64_t vmsa_u64(const warden::igvm::VmsaPage& p, size_t off) {
    uint64_t x;
    std::memcpy(&x, p.data() + off, 8);
    return x;
}

// The VMSA's fields the VMCB save area shares, at their offset + 0x400
// (SPEC-FACTS 6, APM vol. 2 table B-2), besides ES .. TR; the GPRs the VMCB
// has no room for are GuestGprs, in svm_run's order.
constexpr size_t kSharedFields[] = {0x0d0, 0x148, 0x150, 0x158, 0x160, 0x168, 0x170, 0x178, 0x1d8,
                                    0x1f8, 0x200, 0x208, 0x210, 0x218, 0x220, 0x240, 0x268};
constexpr size_t kGprFields[] = {0x318, 0x308, 0x310, 0x330, 0x338, 0x328, 0x340,
                                 0x348, 0x350, 0x358, 0x360, 0x368, 0x370, 0x378};
static_assert(sizeof(kGprFields) / sizeof(kGprFields[0]) == sizeof(GuestGprs) / 8);
constexpr size_t kVmsaVmpl = 0x0ca, kVmsaCpl = 0x0cb, kVmsaEfer = 0x0d0, kVmsaSevFeatures = 0x3b0;
constexpr size_t kVmsaXcr0 = 0x3e8;           // SNP VMSA layout (SPEC-FACTS 6; lib/warden/sev/vmsa.cpp kXcr0)
constexpr size_t kVmsaGuestExitCode = 0x3c0;  // GUEST_EXITCODE (APM vol. 2 Table B-4)
constexpr uint64_t kEferSvme = uint64_t{1} << 12, kSevFeatureSnpActive = 1;

// x87/SSE/AVX state and XCR0 per context. VMRUN switches neither (APM vol. 2
// 15.5.1: the host saves what it needs); an SEV-ES CPU keeps them in each
// VMSA (15.35). So at a RUN_VMPL switch the host saves the old context's
// (XGETBV its XCR0, XCR0 to every supported component, XSAVE) and restores
// the new one's (XRSTOR of every component, then XSETBV its XCR0).
constexpr uint32_t kCpuidXsave = 0xd;       // CPUID 0xD/0: EDX:EAX the XCR0 bits, ECX the area for all of them
constexpr uint64_t kCr4Osxsave = 1u << 18;  // APM vol. 2 3.1.3
constexpr uint32_t kCpuid1EcxXsave = 1u << 26;
constexpr size_t kXsaveMxcsr = 24;       // legacy area: MXCSR (SDM vol. 1 10.5.1)
constexpr uint32_t kMxcsrInit = 0x1f80;  // every exception masked, as after RESET
constexpr uint64_t kXcr0X87 = 1, kXcr0Sse = 2, kXcr0Avx = 4, kXcr0Avx512 = 0xe0;
std::atomic<uint64_t> xcr0_supported{0};

// XSETBV's rule (SDM vol. 1 13.3): x87 set, only components the CPU has,
// AVX with SSE, the three AVX-512 components together and with AVX.
bool xcr0_valid(uint64_t x) {
    if (!(x & kXcr0X87) || (x & ~xcr0_supported.load(std::memory_order_relaxed)) != 0) return false;
    if ((x & kXcr0Avx) && !(x & kXcr0Sse)) return false;
    const uint64_t avx512 = x & kXcr0Avx512;
    return avx512 == 0 || (avx512 == kXcr0Avx512 && (x & kXcr0Avx));
}

// On each host CPU before its first VMRUN: CR4.OSXSAVE, XCR0 = every
// supported component. The area must hold them all (CPUID 0xD/0 ECX).
void extended_state_init() {
    if (!(cpu::cpuid(1).ecx & kCpuid1EcxXsave)) fail("vCPU: the CPU has no XSAVE: guest vector state cannot be kept");
    cpu::write_cr4(cpu::read_cr4() | kCr4Osxsave);
    const auto leaf = cpu::cpuid(kCpuidXsave, 0);
    const uint64_t all = uint64_t{leaf.edx} << 32 | leaf.eax;
    if (leaf.ecx > kXsaveAreaBytes) fail("vCPU: the XSAVE area of the CPU's components exceeds the host's 4 KiB");
    xcr0_supported.store(all, std::memory_order_relaxed);
    cpu::xsetbv0(all);
}

// A context with no state yet: XSTATE_BV 0 (every component in its init
// state on XRSTOR) and MXCSR's init value, which XRSTOR loads from the area.
void reset_extended_state(ExtendedState& f) {
    std::memset(f.area, 0, sizeof f.area);
    std::memcpy(f.area + kXsaveMxcsr, &kMxcsrInit, 4);
}

void save_extended_state(Vcpu& v) {
    const uint64_t all = xcr0_supported.load(std::memory_order_relaxed);
    v.fpu.xcr0 = cpu::xgetbv0();
    cpu::xsetbv0(all);
    cpu::xsave(v.fpu.area, all);
}

void restore_extended_state(const Vcpu& v) {
    cpu::xrstor(v.fpu.area, xcr0_supported.load(std::memory_order_relaxed));
    cpu::xsetbv0(v.fpu.xcr0);
}

// With paging off every access of an SNP guest is private (APM vol. 2
// 15.34.5, "the C-bit is an attribute of the page tables": without them
// memory is encrypted), but the emulated CPU then uses GPAs without the
// C-bit, which the paged view treats as shared: such a context runs on the
// view's unpaged root (npt.hpp). The guest sets CR0.PG without an exit, so
// the root follows it at the next one, whose retry of an access refused
// meanwhile goes through the right root (docs/snp-host.md, "Simplified").
void choose_nested_root(Vcpu& v) {
    auto vm = v.vmcb();
    const uint64_t root = paging_on(v) ? v.root_paged : v.root_unpaged;
    if (vm.get(kNestedCr3) == root) return;
    vm.set(kNestedCr3, root);
    vm.set<uint8_t>(kTlbControl, 1);  // the ASID's translations were the other root's
}

// The control area: intercepts, permission maps, the context's ASID and its
// VMPL's nested view. ASIDs differ per (vCPU, VMPL) and are never 0 (probe
// section 1); TLB_CONTROL 1 flushes the ASID's entries on this VMRUN.
void init_control(Vcpu& v) {
    std::memset(v.vmcb_page, 0, sizeof v.vmcb_page);
    auto vm = v.vmcb();
    vm.set<uint32_t>(kInterceptExceptions, 1u << kVectorUd);
    // VMPL 1-3: physical interrupts are VMPL0's (legacy_irq.hpp): INTR is
    // intercepted and masked by the host's IF, not the guest's (V_INTR_MASKING,
    // APM vol. 2 15.21.1, as KVM runs every guest), so the guest's IF=0 never
    // holds them back; its own IF gates only the virtual interrupt.
    const uint32_t intr = v.vmpl != 0 ? kIntrIntr : 0;
    vm.set<uint32_t>(kInterceptWord3, intr | kIntrCpuid | kIntrHlt | kIntrIoio | kIntrMsr | kIntrShutdown);
    if (v.vmpl != 0) vm.set<uint32_t>(kIntControl, kVIntrMasking);
    vm.set<uint32_t>(kInterceptWord4,
                     kIntrVmrun | kIntrVmmcall | kIntrVmload | kIntrVmsave | kIntrStgi | kIntrClgi | kIntrSkinit);
    vm.set(kIopmBase, addr(iopm));
    vm.set(kMsrpmBase, addr(msrpm));
    vm.set<uint32_t>(kAsid, 1 + v.index + kMaxCpus * v.vmpl);
    vm.set<uint8_t>(kTlbControl, 1);
    vm.set(kNpControl, uint64_t{1});
    v.root_paged = v.machine->rmp->nested_root(v.vmpl, true);
    v.root_unpaged = v.machine->rmp->nested_root(v.vmpl, false);
    vm.set(kNestedCr3, v.root_paged);  // the loop chooses before each VMRUN
}

void load_state(Vcpu& v, const warden::igvm::VmsaPage& s) {
    std::memcpy(v.vmcb_page + kSave, s.data(), 0xa0);  // ES .. TR
    v.vmcb().set<uint8_t>(kCpl, s[kVmsaCpl]);
    for (size_t off : kSharedFields) v.vmcb().set(kSave + off, vmsa_u64(s, off));
    auto* gpr = reinterpret_cast<uint64_t*>(&v.gprs);
    for (size_t i = 0; i < sizeof(kGprFields) / sizeof(kGprFields[0]); ++i) gpr[i] = vmsa_u64(s, kGprFields[i]);
    v.sev_features = vmsa_u64(s, kVmsaSevFeatures);
    v.fpu.xcr0 = vmsa_u64(s, kVmsaXcr0);  // checked by vmsa_refusal (XSETBV's rule)
}

// The CPU's #VMEXIT of a VMPL 1-3 context: its state back into its VMSA page,
// where VMPL0 may read and change it before the next RUN_VMPL (as COCONUT's
// SVSM does with its guest's VMSA). This is the CPU writing a VMSA page, not
// a hypervisor access.
void store_state(Vcpu& v) {
    auto page = v.machine->guest.bytes(v.vmsa_gpa(), 4096);
    if (page.empty()) return;
    std::memcpy(page.data(), v.vmcb_page + kSave, 0xa0);
    page[kVmsaCpl] = v.vmcb().get<uint8_t>(kCpl);
    for (size_t off : kSharedFields) {
        const uint64_t x = v.vmcb().get(kSave + off);
        std::memcpy(page.data() + off, &x, 8);
    }
    const auto* gpr = reinterpret_cast<const uint64_t*>(&v.gprs);
    for (size_t i = 0; i < sizeof(kGprFields) / sizeof(kGprFields[0]); ++i)
        std::memcpy(page.data() + kGprFields[i], &gpr[i], 8);
    std::memcpy(page.data() + kVmsaXcr0, &v.fpu.xcr0, 8);  // saved at the switch (save_extended_state)
    // GUEST_EXITCODE: why the CPU left the VMPL, so that VMPL0 tells the
    // guest's request (VMGEXIT) from a physical interrupt or a HLT that took
    // it there between the guest's write of call_pending and its VMGEXIT
    // (COCONUT-SVSM's request loop serves VMGEXITs only). TCG's SVM has no
    // SEV-ES: a VMGEXIT reaches this host as VMMCALL, and a VMMCALL that is
    // no VMGEXIT gets #VC (on_vmmcall) and never switches. GUEST_EXITINFO1/2,
    // EXITINTINFO and NRIP are not written (nothing reads them here).
    uint64_t code = v.vmcb().get(kExitCode);
    if (code == kExitVmmcall) code = kExitVmgexit;
    std::memcpy(page.data() + kVmsaGuestExitCode, &code, 8);
}

// VMRUN of a VMPL 1-3 context from its VMSA page, as the CPU loads it: the
// page must still be a VMSA page in the RMP and pass the VMSA checks. A new
// creation starts from its page, but keeps the context's GHCB MSR and its
// registered GHCB: they are the hypervisor's (the VMCB's GHCB field, KVM's
// per-vCPU registration), not the VMSA's, and edk2's APs, started anew by
// AP creation, read the GHCB MSR back and go on with the GHCB they
// registered at their first start (MpFuncs.nasm SevEsGetApicId).
// nullptr, or why VMRUN would fail.
const char* load_context(Vcpu& v) {
    const uint64_t word = v.vmsa.load(std::memory_order_acquire);
    if (word == Vcpu::kNoVmsa) return "RUN_VMPL: the VMPL's VMSA was destroyed";
    const uint64_t gpa = word & ~uint64_t{0xfff};
    static warden::igvm::VmsaPage copy[kMaxCpus];
    if (const char* why = copy_checked_vmsa(*v.machine, gpa, v.vmpl, nullptr, copy[v.index])) return why;
    if (v.loaded != word) {  // a new creation: its registers from the page
        v.loaded = word;
        reset_extended_state(v.fpu);
        log("vCPU {} VMPL{}: VMRUN from the VMSA at GPA {:#x}: RIP {:#x}, CR3 {:#x}", v.index, v.vmpl, gpa,
            vmsa_u64(copy[v.index], 0x178), vmsa_u64(copy[v.index], 0x150));
    }
    init_control(v);
    load_state(v, copy[v.index]);
    return nullptr;
}

// A VMPL 1-3 context keeps the CPU for a slice after each switch to it:
// VMPL0's interrupts wait in the local APIC until then (VMRUN with the
// host's IF 0), then interrupt it (IF 1, the INTR intercept). The slice
// lets a short call of the lower VMPL (a test image's stub, one SVSM call's
// worth of guest code) end by its own RUN_VMPL; OVMF's long stretches give
// the CPU back to Warden about every slice and tick (docs/snp-host.md).
bool slice_over(const Vcpu& v) {
    if (v.vmpl == 0) return true;  // VMPL0's IF is its own (V_INTR_MASKING clear)
    return cpu::rdtsc() - v.switched_in_tsc >= v.machine->chipset.tsc_hz / kSlicesPerSecond;
}

// RUN_VMPL took effect: `from` is left (its state stored if it lives in a
// VMSA page), its target loaded. The next VMRUN on this CPU is the target's.
Vcpu* switch_context(Vcpu& from) {
    Vcpu& to = *from.switch_to;
    from.switch_to = nullptr;
    ++from.count.run_vmpl;
    save_extended_state(from);
    if (from.vmpl != 0) store_state(from);
    if (to.vmpl != 0) {
        if (const char* why = load_context(to)) {
            refuse(from, to.vmsa_gpa(), why);
            stop_machine(from, false);
        }
    }
    restore_extended_state(to);
    to.switched_in_tsc = cpu::rdtsc();
    return &to;
}

}  // namespace

void save_vector_state(Vcpu& v) { save_extended_state(v); }
void restore_vector_state(const Vcpu& v) { restore_extended_state(v); }

Counters& Counters::operator+=(const Counters& o) {
    exits += o.exits, vmgexits += o.vmgexits, vc += o.vc, npf += o.npf, msr_protocol += o.msr_protocol;
    ghcb_page += o.ghcb_page, pvalidate += o.pvalidate, rmpadjust += o.rmpadjust, run_vmpl += o.run_vmpl;
    unchanged += o.unchanged, preempted += o.preempted;
    return *this;
}

const char* copy_checked_vmsa(const Machine& m, uint64_t gpa, unsigned vmpl, const uint64_t* features,
                              warden::igvm::VmsaPage& out) {
    if (!m.rmp->is_vmsa(gpa)) return "the page is not a VMSA page in the RMP (VMRUN would fail)";
    auto page = m.guest.bytes(gpa, 4096);
    if (page.empty()) return "the VMSA is outside guest memory";
    std::memcpy(out.data(), page.data(), 4096);
    return vmsa_refusal(out, vmpl, features);
}

const char* vmsa_refusal(const warden::igvm::VmsaPage& s, unsigned vmpl, const uint64_t* features) {
    const uint64_t sev_features = vmsa_u64(s, kVmsaSevFeatures);
    if (features && sev_features != *features) return "RAX differs from the VMSA's SEV_FEATURES";
    if (!(sev_features & kSevFeatureSnpActive)) return "the VMSA's SEV_FEATURES lacks SNPActive";
    if (s[kVmsaVmpl] != vmpl) return "the VMSA's VMPL field is not the VMPL it is run at";
    if (!(vmsa_u64(s, kVmsaEfer) & kEferSvme)) return "the VMSA's EFER.SVME is clear (VMRUN would fail)";
    if (!xcr0_valid(vmsa_u64(s, kVmsaXcr0)))
        return "the VMSA's XCR0 is not one XSETBV takes (x87 clear, or components the CPU lacks)";
    return nullptr;
}

const char* prepare_run_vmpl(Vcpu& v, unsigned target) {
    if (target >= kVmpls) return "RUN_VMPL of a VMPL past 3";
    if (target == v.vmpl) return "RUN_VMPL of the VMPL that asks";
    Vcpu& to = context(v.index, target);
    if (target != 0 && to.vmsa_gpa() == Vcpu::kNoVmsa)
        return "RUN_VMPL of a VMPL with no VMSA on this vCPU (AP creation at that VMPL first)";
    v.switch_to = &to;
    return nullptr;
}

Next leave_destroyed(Vcpu& v) {
    log("vCPU {} VMPL{}: its VMSA was destroyed (AP destruction) while it ran: VMPL0 runs", v.index, v.vmpl);
    if (prepare_run_vmpl(v, 0) != nullptr) return refuse(v, 0, "no VMPL0 to run (cannot happen)");
    return Next::kSwitch;
}

bool context_running(const Vcpu& c) {
    for (unsigned i = 0; i < kMaxCpus; ++i) {
        if (running_context[i].load(std::memory_order_acquire) == &c) return true;
        if (leaving_context[i].load(std::memory_order_acquire) == &c) return true;
    }
    return false;
}

Next refuse(Vcpu& v, uint64_t gpa, std::string_view why) {
    log("REFUSED vCPU {} VMPL{} GPA {:#x} RIP {:#x}: {}", v.index, v.vmpl, gpa, v.vmcb().get(kRip), why);
    return Next::kStop;
}

namespace {

void log_counters(std::string_view head, const Counters& c) {
    log("{}: {} exits, {} VMGEXITs ({} MSR protocol, {} GHCB page), {} #VC, {} NPF, {} PVALIDATE ({} unchanged), {} "
        "RMPADJUST, {} RUN_VMPL",
        head, c.exits, c.vmgexits, c.msr_protocol, c.ghcb_page, c.vc, c.npf, c.pvalidate, c.unchanged, c.rmpadjust,
        c.run_vmpl);
}

// One line for the vCPU (every VMPL summed), then one per VMPL 1-3 context
// it has, so VMPL0-only runs print what they always did.
void log_vcpu(unsigned index, std::string_view when, std::string_view after) {
    Counters total;
    bool lower = false;
    for (unsigned l = 0; l < kVmpls; ++l) {
        total += context(index, l).count;
        lower |= l != 0 && context(index, l).vmsa_gpa() != Vcpu::kNoVmsa;
    }
    warden::fmt::FixedString<96> head;
    warden::fmt::format(head, "{}vCPU {}{}", when, index, after);
    log_counters(head.view(), total);
    for (unsigned l = 1; lower && l < kVmpls; ++l) {
        if (context(index, l).vmsa_gpa() == Vcpu::kNoVmsa) continue;
        warden::fmt::FixedString<96> line;
        warden::fmt::format(line, "{}vCPU {} VMPL{}{}", when, index, l, after);
        log_counters(line.view(), context(index, l).count);
        if (const uint64_t p = context(index, l).count.preempted; p != 0)
            log("{}vCPU {} VMPL{}{}: {} of its RUN_VMPLs went to VMPL0 on a physical interrupt", when, index, l, after,
                p);
    }
}

}  // namespace

void report_counters(Machine& m, std::string_view when) {
    warden::fmt::FixedString<64> prefix;
    warden::fmt::format(prefix, "{}: ", when);
    for (unsigned i = 0; i < m.vcpus; ++i) log_vcpu(i, prefix.view(), "");
}

void stop_machine(Vcpu& v, bool pass) {
    flush_console_lines(*v.machine);
    log_vcpu(v.index, "", " stopped");
    exit_qemu(pass ? kExitPass : kExitFail);
}

// The VMCB from a VMSA (SNP layout, SPEC-FACTS 6): the BSP's as the launch
// measured it, an AP's as AP creation copied it.
void vcpu_init(Vcpu& v, Machine& m, const warden::igvm::VmsaPage& s) {
    static std::atomic<bool> maps_ready{false};
    if (v.index == 0 && !maps_ready.load()) {
        permission_maps_init();
        maps_ready.store(true, std::memory_order_release);
    }
    while (!maps_ready.load(std::memory_order_acquire)) asm volatile("pause");
    cpu::wrmsr(kMsrVmHsavePa, addr(host_hsave[v.index]));
    extended_state_init();
    v.machine = &m;
    v.vmpl = s[kVmsaVmpl];
    init_control(v);
    load_state(v, s);
    if (!xcr0_valid(v.fpu.xcr0)) fail("vCPU: the VMSA's XCR0 is not one XSETBV takes");
    reset_extended_state(v.fpu);
    cpu::xrstor(v.fpu.area, xcr0_supported.load(std::memory_order_relaxed));  // the init state, as at reset
    cpu::xsetbv0(v.fpu.xcr0);
}

// AP reset hold (GHCB spec 56421 2.3.1, 0x006; 4.1.x AP HLT loop 0x80000004):
// the vCPU is held until the hypervisor releases it. An SNP guest restarts a
// held AP by AP creation, which KVM turns into a fresh start from the new
// VMSA (sev_snp_ap_creation makes the held vCPU runnable again); that is the
// only release modelled: the held AP's own request is never answered. The
// BSP (nothing would restart it) and a lower VMPL (the vCPU is VMPL0's to
// hold) are refused.
Next ap_reset_hold(Vcpu& v) {
    if (v.vmpl != 0) return refuse(v, 0, "AP reset hold from a VMPL other than 0");
    if (v.index == 0) return refuse(v, 0, "AP reset hold of the BSP (nothing here would restart it)");
    log("vCPU {}: AP reset hold at RIP {:#x}: held until AP creation restarts it", v.index, v.vmcb().get(kRip));
    return Next::kPark;
}

namespace {

// L1's QEMU 7.2 (TCG) now and then ends a VMRUN with a #VMEXIT whose save
// area holds the host's own state, as VMRUN saved it in the host save area:
// RIP svm_run_resume, the host's CR3, IDTR and RSP, and an NPF (EXITINFO1
// bit 33, a page walk) at the host's CR3 as a guest-physical address. Seen
// on both vCPUs, at VMPL0 and VMPL2, about once in 60 runs of the harness's
// smp 2 test; the GPRs show the guest ran before it (they differ from the
// ones VMRUN loaded), so its RIP, RSP, RFLAGS and RAX since are lost and no
// repair is exact. No CPU does this (APM vol. 2 15.6: #VMEXIT saves the
// guest's state), and run on, the guest executes the host's code with the
// host's tables and dies later of a cause that is not its own. So the host
// ends the run at once as void (kExitVoid): not a verdict on the guest;
// tests/snp/snp_run.py boots again (docs/snp-host.md, "TCG's void runs").
// The host's RIP and CR3 together are no state a guest reaches by itself.
bool host_state_saved(Vcpu& v) {
    auto vm = v.vmcb();
    return vm.get(kRip) == reinterpret_cast<uint64_t>(svm_run_resume) &&
           (vm.get(kCr3) & ~uint64_t{0xfff}) == host_cr3();
}

}  // namespace

[[noreturn]] void void_run(Vcpu& v, std::string_view what) {
    flush_console_lines(*v.machine);
    log("VOID: vCPU {} VMPL{} after {} exits: {} (L1's TCG, not the guest): the run ends void", v.index, v.vmpl,
        v.count.exits, what);
    exit_qemu(kExitVoid);
}

void vcpu_run(Vcpu& first) {
    Vcpu* v = &first;
    running_context[v->index].store(v, std::memory_order_release);
    log("vCPU {} VMPL{}: VMRUN at RIP {:#x}, CR3 {:#x}, SEV_FEATURES {:#x}", v->index, v->vmpl, v->vmcb().get(kRip),
        v->vmcb().get(kCr3), v->sev_features);
    for (;;) {
        choose_nested_root(*v);
        legacy_irq_before_vmrun(*v);
        svm_run(addr(v->vmcb_page), addr(v->host_save), &v->gprs, slice_over(*v) ? 1 : 0);
        if (v->index == 0 && std::exchange(v->machine->selftest_void, false)) {
            v->vmcb().set(kRip, reinterpret_cast<uint64_t>(svm_run_resume));
            v->vmcb().set(kCr3, host_cr3());
        }
        if (host_state_saved(*v)) void_run(*v, "a #VMEXIT saved the host's state as the guest's");
        ++v->count.exits;
        auto vm = v->vmcb();
        vm.set<uint8_t>(kTlbControl, 0);
        vm.set<uint32_t>(kInterceptWord3, vm.get<uint32_t>(kInterceptWord3) | kIntrHlt);
        Next n = handle_exit(*v);
        if (n == Next::kResume && v->vmpl != 0 && v->vmsa_changed()) n = leave_destroyed(*v);
        flush_old_console_line(*v);
        // A refusal, a termination request or a stopped vCPU ends the run as a
        // failure, before or after the ready line; only the guest's own
        // isa-debug-exit (port_io.cpp) carries its code.
        if (n == Next::kStop) stop_machine(*v, false);
        if (n == Next::kSwitch) {
            // Marked running before it is loaded: AP creation must not replace it now.
            leaving_context[v->index].store(v, std::memory_order_release);
            running_context[v->index].store(v->switch_to, std::memory_order_release);
            const unsigned cpu = v->index;
            v = switch_context(*v);
            leaving_context[cpu].store(nullptr, std::memory_order_release);
        }
        if (n == Next::kPark) {
            running_context[v->index].store(nullptr, std::memory_order_release);
            return;
        }
        if (v->machine->ready_pending_report.exchange(false)) {
            report_counters(*v->machine, "at Warden's ready line");
        }
    }
}

}  // namespace snp_host
