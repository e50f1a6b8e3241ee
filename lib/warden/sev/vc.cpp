// #VC handling (GHCB spec 56421 section 4.1: CPUID, IOIO, MSR, RDTSC/RDTSCP).
#include "warden/sev/vc.hpp"

namespace warden::sev {
namespace {

Result<uint64_t> valid(const Ghcb& g, GhcbField f) {
    if (!g.is_valid(f)) return Fail(Error::kInvalidArgument);
    return g.get(f);
}

Result<void> exit_to(Hypervisor& hv, Ghcb& g) {
    WARDEN_TRY_VOID(hv.vmgexit(g));
    return g.check_result();
}

uint64_t size_mask(unsigned size) { return size == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1; }

Result<void> cpuid(VcRegs& r, Ghcb& g, Hypervisor& hv) {
    g.begin();
    g.set(GhcbField::kRax, r.rax & 0xffffffff);
    g.set(GhcbField::kRcx, r.rcx & 0xffffffff);
    g.set(GhcbField::kXcr0, 1);
    g.set_exit(exit::kCpuid, 0, 0);
    WARDEN_TRY_VOID(exit_to(hv, g));
    WARDEN_TRY(a, valid(g, GhcbField::kRax));
    WARDEN_TRY(b, valid(g, GhcbField::kRbx));
    WARDEN_TRY(c, valid(g, GhcbField::kRcx));
    WARDEN_TRY(d, valid(g, GhcbField::kRdx));
    r.rax = a & 0xffffffff;
    r.rbx = b & 0xffffffff;
    r.rcx = c & 0xffffffff;
    r.rdx = d & 0xffffffff;
    r.rip += 2;
    return {};
}

Result<void> msr_access(VcRegs& r, bool write, Ghcb& g, Hypervisor& hv) {
    g.begin();
    g.set(GhcbField::kRcx, r.rcx & 0xffffffff);
    if (write) {
        g.set(GhcbField::kRax, r.rax & 0xffffffff);
        g.set(GhcbField::kRdx, r.rdx & 0xffffffff);
    }
    g.set_exit(exit::kMsr, write ? 1 : 0, 0);
    WARDEN_TRY_VOID(exit_to(hv, g));
    if (!write) {
        WARDEN_TRY(a, valid(g, GhcbField::kRax));
        WARDEN_TRY(d, valid(g, GhcbField::kRdx));
        r.rax = a & 0xffffffff;
        r.rdx = d & 0xffffffff;
    }
    r.rip += 2;
    return {};
}

Result<void> rdtsc(VcRegs& r, bool with_aux, Ghcb& g, Hypervisor& hv) {
    g.begin();
    g.set_exit(with_aux ? exit::kRdtscp : exit::kRdtsc, 0, 0);
    WARDEN_TRY_VOID(exit_to(hv, g));
    WARDEN_TRY(a, valid(g, GhcbField::kRax));
    WARDEN_TRY(d, valid(g, GhcbField::kRdx));
    r.rax = a & 0xffffffff;
    r.rdx = d & 0xffffffff;
    if (with_aux) {
        WARDEN_TRY(c, valid(g, GhcbField::kRcx));
        r.rcx = c & 0xffffffff;
    }
    r.rip += with_aux ? 3 : 2;
    return {};
}

Result<void> io(VcRegs& r, std::span<const uint8_t> insn, Ghcb& g, uint64_t ghcb_gpa, Hypervisor& hv, VcMemory& mem) {
    WARDEN_TRY(op, decode_io(insn, static_cast<uint16_t>(r.rdx)));
    const uint64_t info1 = ioio_exit_info(op);
    if (!op.string) {
        g.begin();
        if (!op.in) g.set(GhcbField::kRax, r.rax & size_mask(op.size));
        g.set_exit(exit::kIoio, info1, 0);
        WARDEN_TRY_VOID(exit_to(hv, g));
        if (op.in) {
            WARDEN_TRY(a, valid(g, GhcbField::kRax));
            r.rax = (r.rax & ~size_mask(op.size)) | (a & size_mask(op.size));
        }
        r.rip += op.length;
        return {};
    }
    // String forms move through the shared buffer, as many elements at a time as fit.
    uint64_t count = op.rep ? r.rcx : 1;
    const uint64_t per_exit = kGhcbSharedBufferSize / op.size;
    while (count > 0) {
        const uint64_t n = count < per_exit ? count : per_exit;
        const size_t bytes = static_cast<size_t>(n * op.size);
        auto buf = g.shared_buffer();
        g.begin();
        if (!op.in && !mem.read(r.rsi, buf.data(), bytes)) return Fail(Error::kInvalidArgument);
        g.set(GhcbField::kSwScratch, ghcb_gpa + kGhcbSharedBuffer);
        g.set_exit(exit::kIoio, info1, n);
        WARDEN_TRY_VOID(exit_to(hv, g));
        if (op.in) {
            if (!mem.write(r.rdi, buf.data(), bytes)) return Fail(Error::kInvalidArgument);
            r.rdi += bytes;
        } else {
            r.rsi += bytes;
        }
        count -= n;
        if (op.rep) r.rcx -= n;
    }
    r.rip += op.length;
    return {};
}

}  // namespace

Result<void> handle_vc(uint64_t exit_code, VcRegs& regs, std::span<const uint8_t> insn, Ghcb& ghcb, uint64_t ghcb_gpa,
                       Hypervisor& hv, VcMemory& memory) {
    auto starts = [&](std::initializer_list<uint8_t> bytes) {
        size_t i = 0;
        for (uint8_t b : bytes) {
            if (i >= insn.size() || insn[i++] != b) return false;
        }
        return true;
    };
    switch (exit_code) {
    case exit::kCpuid:
        if (!starts({0x0f, 0xa2})) return Fail(Error::kUnsupported);
        return cpuid(regs, ghcb, hv);
    case exit::kMsr:
        if (starts({0x0f, 0x32})) return msr_access(regs, false, ghcb, hv);
        if (starts({0x0f, 0x30})) return msr_access(regs, true, ghcb, hv);
        return Fail(Error::kUnsupported);
    case exit::kRdtsc:
        if (!starts({0x0f, 0x31})) return Fail(Error::kUnsupported);
        return rdtsc(regs, false, ghcb, hv);
    case exit::kRdtscp:
        if (!starts({0x0f, 0x01, 0xf9})) return Fail(Error::kUnsupported);
        return rdtsc(regs, true, ghcb, hv);
    case exit::kIoio: return io(regs, insn, ghcb, ghcb_gpa, hv, memory);
    default: return Fail(Error::kUnsupported);  // MMIO and the rest: not served (docs/igvm.md)
    }
}

}  // namespace warden::sev
