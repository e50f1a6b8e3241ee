// #VC handling (GHCB spec 56421 section 4.1: CPUID, IOIO, MSR, MMIO, RDTSC/RDTSCP).
#include "warden/sev/vc.hpp"

#include "warden/x86/mov_decode.hpp"

namespace warden::sev {
namespace {

bool starts_with(std::span<const uint8_t> insn, std::initializer_list<uint8_t> bytes) {
    size_t i = 0;
    for (uint8_t b : bytes) {
        if (i >= insn.size() || insn[i++] != b) return false;
    }
    return true;
}

void set_cpuid(VcRegs& r, const CpuidResult& c) {
    r.rax = c.eax;
    r.rbx = c.ebx;
    r.rcx = c.ecx;
    r.rdx = c.edx;
    r.rip += 2;
}

Result<uint64_t> valid(const Ghcb& g, GhcbField f) {
    if (!g.is_valid(f)) return Fail(Error::kInvalidArgument);
    return g.get(f);
}

Result<void> exit_to(Hypervisor& hv, Ghcb& g) {
    WARDEN_TRY_VOID(hv.vmgexit(g));
    return g.check_result();
}

uint64_t size_mask(unsigned size) { return size == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1; }

Result<void> cpuid(VcRegs& r, Ghcb& g, Hypervisor& hv, const CpuidTable* table) {
    if (table) {  // the PSP-checked answer; the hypervisor is not asked
        set_cpuid(r, table->lookup(static_cast<uint32_t>(r.rax), static_cast<uint32_t>(r.rcx)));
        return {};
    }
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
    set_cpuid(r, CpuidResult{static_cast<uint32_t>(a), static_cast<uint32_t>(b), static_cast<uint32_t>(c),
                             static_cast<uint32_t>(d)});
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

// MMIO: the data moves through the shared buffer (GHCB spec 4.1.5).
Result<void> mmio(VcRegs& r, std::span<const uint8_t> insn, const VcContext& ctx) {
    WARDEN_TRY(a, x86::decode_mmio(insn, r));
    uint64_t gpa = 0;
    if (!ctx.memory.translate_shared(a.address, gpa)) return Fail(Error::kInvalidArgument);
    if ((gpa & 0xfff) + a.size > 0x1000) return Fail(Error::kUnsupported);  // an access across a page
    Ghcb& g = ctx.ghcb;
    auto buf = g.shared_buffer();
    const bool write = a.kind != x86::MmioAccess::Kind::kLoad;
    g.begin();
    if (write) {
        const uint64_t v = x86::store_value(a, r);
        for (unsigned i = 0; i < a.size; ++i) buf[i] = static_cast<uint8_t>(v >> (8 * i));
    }
    g.set(GhcbField::kSwScratch, ctx.ghcb_gpa + kGhcbSharedBuffer);
    g.set_exit(write ? exit::kMmioWrite : exit::kMmioRead, gpa, a.size);
    WARDEN_TRY_VOID(exit_to(ctx.hv, g));
    if (!write) {
        uint64_t v = 0;
        for (unsigned i = 0; i < a.size; ++i) v |= uint64_t{buf[i]} << (8 * i);
        x86::apply_load(a, r, v);
    }
    r.rip += a.length;
    return {};
}

}  // namespace

Result<void> handle_vc(uint64_t exit_code, VcRegs& regs, std::span<const uint8_t> insn, const VcContext& ctx) {
    Ghcb& ghcb = ctx.ghcb;
    Hypervisor& hv = ctx.hv;
    auto starts = [&](std::initializer_list<uint8_t> bytes) { return starts_with(insn, bytes); };
    switch (exit_code) {
    case exit::kCpuid:
        if (!starts({0x0f, 0xa2})) return Fail(Error::kUnsupported);
        return cpuid(regs, ghcb, hv, ctx.cpuid);
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
    case exit::kIoio: return io(regs, insn, ghcb, ctx.ghcb_gpa, hv, ctx.memory);
    case kVcExitNpf: return mmio(regs, insn, ctx);
    default: return Fail(Error::kUnsupported);  // everything else: the caller terminates
    }
}

Result<void> handle_task_vc(uint64_t exit_code, VcRegs& regs, std::span<const uint8_t> insn, const CpuidTable* table) {
    if (exit_code != exit::kCpuid || table == nullptr || !starts_with(insn, {0x0f, 0xa2}))
        return Fail(Error::kUnsupported);
    set_cpuid(regs, table->lookup(static_cast<uint32_t>(regs.rax), static_cast<uint32_t>(regs.rcx)));
    return {};
}

Result<void> handle_vc_early(uint64_t exit_code, VcRegs& regs, std::span<const uint8_t> insn, MsrChannel& ch,
                             const CpuidTable* table) {
    if (exit_code != exit::kCpuid || !starts_with(insn, {0x0f, 0xa2})) return Fail(Error::kUnsupported);
    const auto leaf = static_cast<uint32_t>(regs.rax);
    if (table) {
        set_cpuid(regs, table->lookup(leaf, static_cast<uint32_t>(regs.rcx)));
        return {};
    }
    // The MSR protocol has no subleaf: leaves that need one cannot be served this way.
    if (cpuid_has_subleaves(leaf)) return Fail(Error::kUnsupported);
    WARDEN_TRY(a, cpuid_msr(ch, leaf, msr::CpuidRegister::kEax));
    WARDEN_TRY(b, cpuid_msr(ch, leaf, msr::CpuidRegister::kEbx));
    WARDEN_TRY(c, cpuid_msr(ch, leaf, msr::CpuidRegister::kEcx));
    WARDEN_TRY(d, cpuid_msr(ch, leaf, msr::CpuidRegister::kEdx));
    set_cpuid(regs, CpuidResult{a, b, c, d});
    return {};
}

}  // namespace warden::sev
