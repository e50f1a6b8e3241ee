// The harness guest's exceptions: a #VC is served through lib's handler
// (lib/warden/sev/vc.hpp) with this vCPU's GHCB, or before it exists with
// the MSR protocol (CPUID only); a #VC 0x404 at probe_read is the answer
// "not validated"; anything else ends the guest with its vector as reason.
#include <cstring>

#include "cpu.hpp"
#include "ghcb.hpp"
#include "warden/sev/vc.hpp"

extern "C" const uint8_t probe_load[], probe_done[];

namespace harness {

namespace {

using namespace warden;

struct Frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

constexpr uint64_t kVcVector = 29;
constexpr uint64_t kNotValidated = 0x404;  // #VC error code: private access to a page not validated

// The interrupted code is the image itself, identity-mapped: its memory is
// reachable below 4 GiB; MMIO (shared mappings) it never does.
class ImageMemory final : public sev::VcMemory {
public:
    bool read(uint64_t va, void* out, size_t len) override {
        if (va >= (uint64_t{1} << 32) || len > (uint64_t{1} << 32) - va) return false;
        std::memcpy(out, reinterpret_cast<const void*>(va), len);
        return true;
    }
    bool write(uint64_t va, const void* in, size_t len) override {
        if (va >= (uint64_t{1} << 32) || len > (uint64_t{1} << 32) - va) return false;
        std::memcpy(reinterpret_cast<void*>(va), in, len);
        return true;
    }
    bool translate_shared(uint64_t, uint64_t&) override { return false; }
};

void serve_vc(Vcpu& v, Frame& f) {
    if (v.in_vc) terminate(kReasonSetHarness, kReasonVcNested);
    v.in_vc = true;
    sev::VcRegs r = x86::registers_of(f);
    uint8_t insn[15];
    std::memcpy(insn, reinterpret_cast<const void*>(f.rip), sizeof insn);  // the image's text
    Result<void> done = Fail(Error::kUnsupported);
    if (v.ghcb_ready) {
        GhcbExit hv;
        ImageMemory mem;
        done = sev::handle_vc(f.error, r, insn, sev::VcContext{v.area->ghcb, gpa_of(&v.area->ghcb), hv, mem, v.cpuid});
    } else {
        MsrProtocol ch(v);
        done = sev::handle_vc_early(f.error, r, insn, ch, v.cpuid);
    }
    if (!done)
        terminate(kReasonSetHarness, done.error() == Error::kUnsupported ? kReasonVcUnsupported : kReasonVcBadAnswer);
    x86::write_registers(f, r);
    v.in_vc = false;
}

}  // namespace

extern "C" void harness_exception(Frame* f) {
    Vcpu& v = current();
    if (f->vector == kVcVector && f->error == kNotValidated && v.probing && f->rip == gpa_of(probe_load)) {
        v.probe_faulted = true;
        f->rax = 0;
        f->rip = gpa_of(probe_done);
        return;
    }
    if (f->vector == kVcVector) return serve_vc(v, *f);
    terminate(kReasonSetHarness, static_cast<uint8_t>(kReasonException + f->vector));
}

}  // namespace harness
