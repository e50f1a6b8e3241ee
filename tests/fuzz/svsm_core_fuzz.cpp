// libFuzzer target: sequences of SVSM calls (core and attestation) from two
// vCPUs, after the input has had the SVSM create up to three vCPUs. The
// invariants (DESIGN 8): no access on the guest's behalf reaches SVSM memory,
// memory outside the guest's, or a page the SVSM has taken -- a live VMSA's
// bytes never change while it is live -- and a refused call (but PVALIDATE,
// which keeps the entries before its failure) changes nothing.
//
// Input: u8 flags (bit 0 attestation offered, bits 2:1 vCPUs to create,
// 4:3 the attestation service's answer, 5 a vTPM offered); u16 x 3 the sizes
// the attestation service answers with (the first also the vTPM's response size);
// u16 page, u16 length, then that many bytes the guest writes there; per
// vCPU to create u16 VMSA page, u16 CAA page; then calls of 10 bytes:
// u8 selector (bits 3:0 call, 5:4 protocol 0/1/2/other, 6 second vCPU, 7 a
// wild RCX), u32 RCX, u32 RDX (bits 31:16 page, 11:0 offset), u8 R8.
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "warden/svsm/attest.hpp"
#include "warden/svsm/core.hpp"
#include "warden/svsm/taken_pages.hpp"
#include "warden/svsm/vtpm.hpp"

namespace {
using namespace warden;
using namespace warden::svsm;

// 4 MiB of guest memory: the first 2 MiB page holds the SVSM's 16..32 KiB,
// the second is a whole 2 MiB page the guest can validate.
constexpr uint64_t kTop = 4 << 20, kPages = kTop / kPageSize, kSvsmBase = 16 << 10, kSvsmEnd = 32 << 10;
constexpr uint8_t kVmpl = 2;
constexpr uint64_t kSevFeatures = 1, kEferSvme = uint64_t{1} << 12;
constexpr size_t kMaxVcpus = 8;

uint8_t mem[kTop];
std::bitset<kPages> dirty;  // pages to zero before the next input

bool is_memory(PhysRange r) {
    if (r.size == 0 || r.end().raw() < r.base.raw() || r.end().raw() > kTop) return false;
    return !r.overlaps(PhysRange{PhysAddr(kSvsmBase), kSvsmEnd - kSvsmBase});
}

class Guest final : public GuestServices {
public:
    bool in_guest_hands(PhysRange r) const override { return is_memory(r) && !taken_.any_in(r); }
    bool apic_id_exists(uint32_t id) const override { return id < 8; }
    Result<void> create_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t) override {
        if (!in_guest_hands(PhysRange{caa, kPageSize})) return Fail(Error::kDenied);
        WARDEN_TRY_VOID(taken_.take(vmsa));
        if (!vmsa_fits_guest({mem + vmsa.raw(), kPageSize}, kVmpl, kSevFeatures)) {
            (void)taken_.give_back(vmsa);
            return Fail(Error::kInvalidArgument);
        }
        WARDEN_TRY_VOID(taken_.make_live(vmsa));
        for (Live& l : live_) {
            if (l.used) continue;
            l.used = true;
            l.page = vmsa.raw();
            std::memcpy(l.bytes, mem + vmsa.raw(), kPageSize);
            held_.set(vmsa.raw() / kPageSize);
            ++changes;
            return {};
        }
        __builtin_trap();  // more live vCPUs than the table holds
    }
    Result<void> delete_vcpu(PhysAddr vmsa) override {
        if (!is_memory(PhysRange{vmsa, kPageSize})) return Fail(Error::kOutOfRange);
        WARDEN_TRY_VOID(taken_.end_live(vmsa));
        WARDEN_TRY_VOID(taken_.give_back(vmsa));
        for (Live& l : live_) {
            if (l.used && l.page == vmsa.raw()) l.used = false;
        }
        held_.reset(vmsa.raw() / kPageSize);
        ++changes;
        return {};
    }

    // A page the guest no longer holds, by this harness's own record.
    bool held(uint64_t gpa) const { return gpa < kTop && held_.test(gpa / kPageSize); }
    // What the guest itself writes: only its own pages.
    void guest_write(uint64_t gpa, const uint8_t* p, size_t n) {
        for (size_t i = 0; i < n; ++i) {
            if (!is_memory(PhysRange{PhysAddr(gpa + i), 1}) || held(gpa + i)) continue;
            mem[gpa + i] = p[i];
            dirty.set((gpa + i) / kPageSize);
        }
    }
    // The fields CREATE_VCPU checks, as a guest that wants its VMSA accepted writes them.
    void guest_write_vmsa(uint64_t gpa) {
        uint8_t v[8] = {kVmpl};
        guest_write(gpa + 0x0ca, v, 1);
        std::memcpy(v, &kEferSvme, 8);
        guest_write(gpa + 0x0d0, v, 8);
        std::memcpy(v, &kSevFeatures, 8);
        guest_write(gpa + 0x3b0, v, 8);
    }
    void live_vmsas_unchanged() const {
        for (const Live& l : live_) {
            if (l.used && std::memcmp(l.bytes, mem + l.page, kPageSize) != 0) __builtin_trap();
        }
    }
    size_t taken_count() const { return taken_.count(); }

    uint64_t changes = 0;       // writes, validation changes, vCPUs created or deleted
    uint64_t clear_at = ~0ull;  // serve()'s clear of call_pending there is not a change of the call's

private:
    struct Live {
        bool used = false;
        uint64_t page = 0;
        uint8_t bytes[kPageSize];
    };
    // The rule, checked independently of TakenPages: the range is guest
    // memory and no page of it is held.
    void check(PhysAddr gpa, uint64_t len) const {
        if (!is_memory(PhysRange{gpa, len})) __builtin_trap();
        for (uint64_t p = gpa.raw() / kPageSize; p <= (gpa.raw() + len - 1) / kPageSize; ++p) {
            if (held_.test(p)) __builtin_trap();
        }
    }
    Result<void> copy_from_guest(PhysAddr gpa, void* out, size_t len) override {
        check(gpa, len);
        std::memcpy(out, mem + gpa.raw(), len);
        return {};
    }
    Result<void> copy_to_guest(PhysAddr gpa, const void* in, size_t len) override {
        check(gpa, len);
        std::memcpy(mem + gpa.raw(), in, len);
        for (uint64_t p = gpa.raw() / kPageSize; p <= (gpa.raw() + len - 1) / kPageSize; ++p) dirty.set(p);
        if (!(len == 1 && gpa.raw() == clear_at)) ++changes;
        return {};
    }
    // A validated page is zeroed, as the kernel does; a 2 MiB page over mixed
    // 4 KiB states is a size mismatch.
    Result<PvalidateOutcome> change_validation(PhysAddr page, bool huge, bool validate) override {
        const uint64_t n = huge ? 512 : 1, first = page.raw() / kPageSize;
        check(page, n * kPageSize);
        uint64_t same = 0;
        for (uint64_t i = 0; i < n; ++i) same += valid_.test(first + i) == validate;
        if (same == n) return PvalidateOutcome::kUnchanged;
        if (same != 0 && huge) return PvalidateOutcome::kSizeMismatch;
        for (uint64_t i = 0; i < n; ++i) {
            valid_.set(first + i, validate);
            if (!validate) continue;
            std::memset(mem + page.raw() + i * kPageSize, 0, kPageSize);
            dirty.set(first + i);
        }
        ++changes;
        return PvalidateOutcome::kChanged;
    }

    TakenPages<kMaxVcpus> taken_;
    std::bitset<kPages> held_, valid_;
    Live live_[kMaxVcpus];
};

// Protocol 1's service: answers as the input says (status, sizes, which may
// exceed the rooms: the dispatcher must hold them to the rooms itself).
struct FakeAttestation final : Attestation {
    uint8_t bytes[kAttestRoomMax + 64] = {};
    uint8_t mode = 0;
    uint32_t sizes[3] = {};
    bool offered() override { return true; }
    AttestAnswer attest(const AttestQuery& q) override {
        // What the dispatcher promised: rooms capped.
        if (q.report_room > kAttestRoomMax || q.manifest_room > kAttestRoomMax || q.certificates_room > kAttestRoomMax)
            __builtin_trap();
        AttestAnswer a{.status = static_cast<AttestStatus>(mode % 4),
                       .report_size = sizes[0],
                       .manifest_size = sizes[1],
                       .certificates_size = sizes[2]};
        a.report = {bytes, sizes[0]};
        a.manifest = {bytes, sizes[1]};
        a.certificates = {bytes, sizes[2]};
        return a;
    }
};

// Protocol 2's vTPM: answers with as many bytes as the input says, up to
// past the room (the dispatcher must refuse that).
struct FakeVtpm final : Vtpm {
    uint32_t size = 0;
    bool offered() override { return true; }
    Result<size_t> send(std::span<const uint8_t> command, std::span<uint8_t> response) override {
        if (command.empty() || command.size() > kVtpmMaxCommand) __builtin_trap();  // the dispatcher's checks held
        for (size_t i = 0; i < size && i < response.size(); ++i) response[i] = command[i % command.size()];
        return size_t{size};
    }
};

struct Input {
    const uint8_t* p;
    size_t n;
    uint64_t take(size_t bytes) {
        uint64_t v = 0;
        for (size_t i = 0; i < bytes && n > 0; ++i, ++p, --n) v |= uint64_t{*p} << (8 * i);
        return v;
    }
};

uint64_t gpa_of(uint64_t v) { return ((v >> 16) % kPages) * kPageSize + (v & 0xfff); }

bool is_result_code(uint64_t rax) { return rax == kSuccess || (rax >= 0x80000000 && rax <= 0x80001010); }

// One call from vcpu, through serve() as the request loop makes it.
void one_call(Guest& g, VcpuState& vcpu, CallRegs r, bool pvalidate) {
    const bool reachable = !g.held(vcpu.caa.raw()) && is_memory(PhysRange{vcpu.caa, 1});
    const uint8_t pending = 1;
    g.guest_write(vcpu.caa.raw(), &pending, 1);  // a held Calling Area: the guest cannot set it
    const CallRegs sent = r;
    const uint64_t changes = g.changes;
    const size_t taken = g.taken_count();
    g.clear_at = vcpu.caa.raw();
    const bool served = serve(r, vcpu, g);
    if (served != reachable) __builtin_trap();
    if (!served && (r.rax != sent.rax || g.changes != changes)) __builtin_trap();
    if (served && !is_result_code(r.rax)) __builtin_trap();
    if (served && r.rax != kSuccess && !pvalidate && (g.changes != changes || g.taken_count() != taken))
        __builtin_trap();  // refused, yet something changed
    g.live_vmsas_unchanged();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    for (size_t p = 0; p < kPages; ++p) {
        if (dirty.test(p)) std::memset(mem + p * kPageSize, 0, kPageSize);
    }
    dirty.reset();
    Guest g;
    Input in{data, size};
    const auto flags = static_cast<uint8_t>(in.take(1));
    static FakeAttestation service;
    service.mode = static_cast<uint8_t>(flags >> 3);
    for (uint32_t& n : service.sizes) n = static_cast<uint32_t>(in.take(2)) % (kAttestRoomMax + 64);
    static FakeVtpm tpm;
    tpm.size = service.sizes[0] % (kVtpmMaxResponse + 8);
    VcpuState a{.caa = PhysAddr(0x2000),
                .attestation = (flags & 1) ? &service : nullptr,
                .vtpm = (flags & 0x20) ? &tpm : nullptr};
    VcpuState b{.caa = PhysAddr(0x3000), .attestation = a.attestation, .vtpm = a.vtpm};
    const uint64_t page = (in.take(2) % kPages) * kPageSize;
    size_t fill = static_cast<size_t>(in.take(2)) % 8193;
    if (fill > in.n) fill = in.n;
    g.guest_write(page, in.p, fill);
    in.p += fill;
    in.n -= fill;
    for (unsigned i = 0; i < ((flags >> 1) & 3u); ++i) {
        const uint64_t vmsa = (in.take(2) % kPages) * kPageSize, caa = (in.take(2) % kPages) * kPageSize;
        g.guest_write_vmsa(vmsa);
        one_call(g, a, CallRegs{.rax = call_rax(kProtocolCore, 2), .rcx = vmsa, .rdx = caa, .r8 = i}, false);
    }
    for (unsigned calls = 0; in.n > 0 && calls < 16; ++calls) {
        const auto sel = static_cast<uint8_t>(in.take(1));
        const uint64_t rcx = in.take(4), rdx = in.take(4), r8 = in.take(1);
        const uint32_t protocols[] = {kProtocolCore, kProtocolAttestation, kProtocolVtpm, 7};
        const uint32_t protocol = protocols[(sel >> 4) & 3], call = sel & 15;
        CallRegs r{.rax = call_rax(protocol, call),
                   .rcx = (sel & 0x80) ? (rcx << 32 | rcx) : gpa_of(rcx),
                   .rdx = gpa_of(rdx),
                   .r8 = r8 & 15};
        one_call(g, (sel & 0x40) ? b : a, r, protocol == kProtocolCore && call == 1);
    }
    return 0;
}
