// libFuzzer target: sequences of RMP operations from the host, the PSP and
// the guest at random VMPLs, decoded from the input, against what each must
// keep: a refused operation changes nothing; PVALIDATE changes only
// Validated, and only in its range; an operation from VMPL n > 0 changes
// nothing of VMPL 0..n and grants no right it did not hold; the table keeps
// its shape; the NPT view never allows what check_access refuses.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rmp_invariants.hpp"

namespace {
using namespace warden;
using namespace warden::snp;

constexpr uint64_t kBase = 0x8000'0000;
constexpr size_t kPages = 2 * kPagesPer2M;

struct Input {
    const uint8_t* data;
    size_t size;
    size_t at = 0;
    bool more() const { return at < size; }
    uint8_t u8() { return at < size ? data[at++] : 0; }
    uint16_t u16() {
        const uint8_t lo = u8();
        return static_cast<uint16_t>(lo | (u8() << 8));
    }
    uint64_t u64() {
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= uint64_t{u8()} << (8 * i);
        return v;
    }
};

struct Target {
    PhysAddr spa;
    GuestPhysAddr gpa;
};

// Mostly pages of the table with their own GPA; some past either end, some
// bound to another GPA or not page aligned; 2 MiB ones aligned down.
Target target(Input& in, bool huge) {
    const uint16_t v = in.u16();
    const uint64_t page = v % (kPages + 8);
    Target t;
    t.spa = page < kPages + 4 ? PhysAddr(kBase) + page * kPageSize : PhysAddr(kBase) - (page - kPages - 3) * kPageSize;
    t.gpa = GuestPhysAddr(page * kPageSize);
    if (huge && (v & 0x8000) == 0) {
        t.spa = t.spa.align_down(kLargePageSize);
        t.gpa = t.gpa.align_down(kLargePageSize);
    }
    if ((v & 0x4000) != 0) t.gpa = GuestPhysAddr(in.u16() * kPageSize);
    if ((v & 0x2000) != 0) t.gpa = t.gpa + in.u8();
    return t;
}

size_t index_of(PhysAddr spa) { return (spa - PhysAddr(kBase)) / kPageSize; }

void check(bool ok) {
    if (!ok) __builtin_trap();
}

void check_view(const Rmp& rmp, const Target& t) {
    for (unsigned v = 0; v < kVmpls; ++v)
        for (const PageSize leaf : {PageSize::k4K, PageSize::k2M})
            check(rmp_inv::view_violation(rmp, static_cast<Vmpl>(v), t.gpa, t.spa, leaf) == nullptr);
}

void run_pvalidate(Rmp& rmp, Input& in, const std::vector<RmpEntry>& before) {
    PvalidateOp op;
    op.vmpl = static_cast<Vmpl>(in.u8() % kVmpls);
    const uint8_t mode = in.u8();
    op.ecx = (mode & 0x80) != 0 ? in.u8() : mode & 1;
    op.edx = (mode & 0x40) != 0 ? in.u8() : (mode >> 1) & 1;
    const Target t = target(in, op.ecx == 1);
    op.gpa = t.gpa;
    op.spa = t.spa;
    const Outcome o = rmp.pvalidate(op);
    const auto after = rmp.entries();
    if (op.vmpl != Vmpl::k0) check(o.fault.kind == FaultKind::kGp);
    if (!o.fault.allowed() || o.status != Status::kSuccess || o.no_change) {
        check(rmp_inv::same(before, after));
        return;
    }
    const size_t first = index_of(op.spa), count = page_bytes(op.ecx == 1 ? PageSize::k2M : PageSize::k4K) / kPageSize;
    check(rmp_inv::same_outside(before, after, first, count));
    for (size_t i = first; i < first + count; ++i) {
        RmpEntry expect = before[i];
        expect.validated = op.edx == 1;
        check(after[i] == expect);
    }
    check_view(rmp, t);
}

void run_rmpadjust(Rmp& rmp, Input& in, const std::vector<RmpEntry>& before) {
    RmpadjustOp op;
    op.vmpl = static_cast<Vmpl>(in.u8() % kVmpls);
    const uint8_t mode = in.u8();
    op.rcx = (mode & 0x80) != 0 ? in.u8() : mode & 1;
    if ((mode & 0x40) != 0) {
        op.rdx = in.u64();
    } else {
        const uint64_t target_vmpl = in.u8() % 5;  // one past the last VMPL
        const uint64_t perms = in.u8() & 0x1f;     // and one reserved bit
        op.rdx = target_vmpl | perms << 8 | uint64_t{(mode & 2) != 0} << 16;
    }
    const Target t = target(in, op.rcx == 1);
    op.gpa = t.gpa;
    op.spa = t.spa;
    const RmpEntry* held = rmp.find(op.spa);
    const Perms caller = held != nullptr ? held->perms(op.vmpl) : Perms{};
    const Outcome o = rmp.rmpadjust(op);
    const auto after = rmp.entries();
    if (!o.fault.allowed() || o.status != Status::kSuccess) {
        check(rmp_inv::same(before, after));
        return;
    }
    const unsigned target_vmpl = op.rdx & 0xff;
    const Perms granted{static_cast<uint8_t>(op.rdx >> 8)};
    check(target_vmpl > vmpl_index(op.vmpl) && granted.within(caller));
    check(!(op.rcx == 1 && ((op.rdx >> 16) & 1) != 0));  // no VMSA bit on a 2 MiB page
    const size_t first = index_of(op.spa), count = page_bytes(op.rcx == 1 ? PageSize::k2M : PageSize::k4K) / kPageSize;
    check(rmp_inv::same_outside(before, after, first, count));
    for (size_t i = first; i < first + count; ++i) {
        RmpEntry expect = before[i];
        expect.lower[target_vmpl - 1] = granted;
        if (op.vmpl == Vmpl::k0) expect.vmsa = ((op.rdx >> 16) & 1) != 0;
        check(after[i] == expect);
        if (op.vmpl != Vmpl::k0) check(rmp_inv::keeps_higher_vmpls(before[i], after[i], op.vmpl));
    }
    check_view(rmp, t);
}

// RMPUPDATE, PSMASH and the launch update change at most their range.
void run_host(Rmp& rmp, Input& in, uint8_t kind, const std::vector<RmpEntry>& before) {
    const uint8_t mode = in.u8();
    const PageSize size = (mode & 1) != 0 ? PageSize::k2M : PageSize::k4K;
    const Target t = target(in, kind == 1 || size == PageSize::k2M);
    bool done = false;
    size_t count = 1;
    if (kind == 0) {
        const RmpUpdate u{static_cast<Owner>((mode >> 1) % 3), t.gpa, size};
        done = rmp.rmpupdate(t.spa, u) == Status::kSuccess;
        count = page_bytes(size) / kPageSize;
    } else if (kind == 1) {
        done = rmp.psmash(t.spa) == Status::kSuccess;
        count = kPagesPer2M;
    } else {
        const RmpEntry* e = rmp.find(t.spa);
        count = e != nullptr ? page_bytes(e->size) / kPageSize : 1;
        LaunchPage page{(mode & 2) != 0, {Perms{in.u8()}, Perms{in.u8()}, Perms{in.u8()}}};
        done = rmp.launch_update(t.spa, page).ok();
    }
    if (!done) {
        check(rmp_inv::same(before, rmp.entries()));
        return;
    }
    check(rmp_inv::same_outside(before, rmp.entries(), index_of(t.spa), count));
    check_view(rmp, t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<RmpEntry> store(kPages);
    Rmp rmp(PhysAddr(kBase), store);
    Input in{data, size};
    for (int step = 0; step < 256 && in.more(); ++step) {
        const std::vector<RmpEntry> before(rmp.entries().begin(), rmp.entries().end());
        const uint8_t kind = in.u8() % 6;
        if (kind <= 2) {
            run_host(rmp, in, kind, before);
        } else if (kind == 3) {
            run_pvalidate(rmp, in, before);
        } else if (kind == 4) {
            run_rmpadjust(rmp, in, before);
        } else {
            check_view(rmp, target(in, false));
            check(rmp_inv::same(before, rmp.entries()));
        }
        check(rmp_inv::shape_violation(rmp) == nullptr);
    }
    return 0;
}
