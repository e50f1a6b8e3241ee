// The guest and the kernel as the SVSM core dispatcher sees them, faked for
// the host suites: guest memory, a validation bit per page, and the same
// TakenPages table the kernel keeps, so the rule is decided by the kernel's code.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <set>
#include <vector>

#include "warden/svsm/attest.hpp"
#include "warden/svsm/core.hpp"
#include "warden/svsm/taken_pages.hpp"
#include "warden/svsm/vtpm.hpp"

namespace warden::svsm::testing {

// Guest memory 0..16 MiB, except the SVSM's 1..3 MiB. Validation state per
// 4 KiB page, and a page validated for the guest is zeroed, as the kernel
// does; 2 MiB pages at 8 MiB and above are held by the fake RMP as small
// pages (size mismatch).
class FakeGuest final : public GuestServices {
public:
    static constexpr uint64_t kTop = 16 << 20, kSvsmBase = 1 << 20, kSvsmEnd = 3 << 20;
    static constexpr uint8_t kVmpl = 2;            // the guest's
    static constexpr uint64_t kSevFeatures = 0x1;  // its VMSAs'

    bool in_guest_hands(PhysRange r) const override { return is_memory(r) && !taken.any_in(r); }
    bool apic_id_exists(uint32_t id) const override { return id < 4; }
    // As the kernel does it: take the page, check what is in it, keep it or give it back.
    Result<void> create_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t) override {
        if (!in_guest_hands(PhysRange{caa, kPageSize})) return Fail(Error::kDenied);
        WARDEN_TRY_VOID(taken.take(vmsa));
        if (!vmsa_fits_guest({mem.data() + vmsa.raw(), kPageSize}, kVmpl, kSevFeatures)) {
            (void)taken.give_back(vmsa);
            return Fail(Error::kInvalidArgument);
        }
        return taken.make_live(vmsa);
    }
    Result<void> delete_vcpu(PhysAddr vmsa) override {
        if (!is_memory(PhysRange{vmsa, kPageSize})) return Fail(Error::kOutOfRange);
        WARDEN_TRY_VOID(taken.end_live(vmsa));
        return taken.give_back(vmsa);
    }

    void put64(uint64_t gpa, uint64_t v) { std::memcpy(mem.data() + gpa, &v, 8); }
    void put16(uint64_t gpa, uint16_t v) { std::memcpy(mem.data() + gpa, &v, 2); }
    uint16_t get16(uint64_t gpa) const {
        uint16_t v;
        std::memcpy(&v, mem.data() + gpa, 2);
        return v;
    }
    // A PVALIDATE list at gpa.
    void list(uint64_t gpa, const std::vector<uint64_t>& entries, uint16_t next = 0) {
        put16(gpa, static_cast<uint16_t>(entries.size()));
        put16(gpa + 2, next);
        for (size_t i = 0; i < entries.size(); ++i) put64(gpa + 8 + i * 8, entries[i]);
    }
    // A VMSA CREATE_VCPU accepts, written the way the guest would before the call.
    void vmsa_at(uint64_t gpa) {
        mem[gpa + 0x0ca] = kVmpl;
        put64(gpa + 0x0d0, uint64_t{1} << 12);  // EFER.SVME
        put64(gpa + 0x3b0, kSevFeatures);
    }

    std::vector<uint8_t> mem = std::vector<uint8_t>(kTop, 0);
    std::set<uint64_t> valid;
    TakenPages<8> taken;
    int pvalidates = 0;  // validation changes asked for
    int unchecked = 0;   // accesses that reached the fake without passing the rule: must stay 0

private:
    bool is_memory(PhysRange r) const {
        if (r.size == 0 || r.end().raw() < r.base.raw() || r.end().raw() > kTop) return false;
        return !r.overlaps(PhysRange{PhysAddr(kSvsmBase), kSvsmEnd - kSvsmBase});
    }
    Result<void> copy_from_guest(PhysAddr gpa, void* out, size_t len) override {
        if (!in_guest_hands(PhysRange{gpa, len})) ++unchecked;
        std::memcpy(out, mem.data() + gpa.raw(), len);
        return {};
    }
    Result<void> copy_to_guest(PhysAddr gpa, const void* in, size_t len) override {
        if (!in_guest_hands(PhysRange{gpa, len})) ++unchecked;
        std::memcpy(mem.data() + gpa.raw(), in, len);
        return {};
    }
    Result<PvalidateOutcome> change_validation(PhysAddr page, bool huge, bool validate) override {
        if (!in_guest_hands(PhysRange{page, huge ? kLargePageSize : kPageSize})) ++unchecked;
        ++pvalidates;
        if (huge && page.raw() >= (8 << 20)) return PvalidateOutcome::kSizeMismatch;
        const uint64_t n = huge ? 512 : 1;
        bool changed = false;
        for (uint64_t i = 0; i < n; ++i) {
            const uint64_t pfn = (page.raw() >> 12) + i;
            if (validate ? valid.insert(pfn).second : valid.erase(pfn) != 0) changed = true;
        }
        if (changed && validate) std::memset(mem.data() + page.raw(), 0, n * kPageSize);
        return changed ? PvalidateOutcome::kChanged : PvalidateOutcome::kUnchanged;
    }
};

// Everything a refused call must leave as it was: every byte of guest
// memory, the validation state, the taken pages and the calling vCPU.
struct Snapshot {
    std::vector<uint8_t> mem;
    std::set<uint64_t> valid;
    size_t taken = 0;
    uint64_t caa = 0;
    int pvalidates = 0;
    bool operator==(const Snapshot&) const = default;
};

struct Fixture {
    FakeGuest g;
    VcpuState vcpu{.caa = PhysAddr(0x5000)};
    ~Fixture() { CHECK(g.unchecked == 0); }

    CallRegs call(CoreCall c, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t r8 = 0) {
        CallRegs r{.rax = call_rax(kProtocolCore, static_cast<uint32_t>(c)), .rcx = rcx, .rdx = rdx, .r8 = r8};
        dispatch(r, vcpu, g);
        return r;
    }
    uint64_t result(CoreCall c, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t r8 = 0) {
        return call(c, rcx, rdx, r8).rax;
    }
    Snapshot snapshot() const { return Snapshot{g.mem, g.valid, g.taken.count(), vcpu.caa.raw(), g.pvalidates}; }
    // A live vCPU whose VMSA is at vmsa.
    void live_vcpu(uint64_t vmsa, uint64_t caa) {
        g.vmsa_at(vmsa);
        REQUIRE(result(CoreCall::kCreateVcpu, vmsa, caa, 1) == kSuccess);
        REQUIRE(g.taken.is_live(PhysAddr(vmsa)));
    }
};

// Protocol 1's service, faked: answers as told, with report and manifest
// bytes of the sizes told, and keeps the last query.
struct FakeAttestation final : Attestation {
    bool is_offered = true;
    AttestStatus status = AttestStatus::kDone;
    std::vector<uint8_t> report = std::vector<uint8_t>(0x4a0, 0xab), manifest = std::vector<uint8_t>(24, 0x6d);
    int asked = 0;
    AttestQuery last;
    bool offered() override { return is_offered; }
    AttestAnswer attest(const AttestQuery& q) override {
        ++asked;
        last = q;
        AttestAnswer a{.status = status,
                       .report_size = static_cast<uint32_t>(report.size()),
                       .manifest_size = static_cast<uint32_t>(manifest.size())};
        if (status == AttestStatus::kDone) {
            a.report = report;
            a.manifest = manifest;
        }
        return a;
    }
};

// Protocol 2's vTPM, faked: answers each command with its bytes reversed
// (or an error, or `response_size` bytes), and keeps the last command.
struct FakeVtpm final : Vtpm {
    bool is_offered = true, fail = false;
    size_t response_size = 0;  // 0: the command reversed
    std::vector<uint8_t> last;
    int sent = 0;
    bool offered() override { return is_offered; }
    Result<size_t> send(std::span<const uint8_t> command, std::span<uint8_t> response) override {
        ++sent;
        last.assign(command.begin(), command.end());
        if (fail) return Fail(Error::kUnsupported);
        const size_t n = response_size ? response_size : command.size();
        if (n > response.size()) return n;  // a broken vTPM: more than the room
        for (size_t i = 0; i < n; ++i)
            response[i] = command.empty() ? 0 : command[(command.size() - 1 - i) % command.size()];
        return n;
    }
};

inline uint64_t entry(uint64_t gpa, bool huge, bool validate, bool ignore_cf = false) {
    return encode_pvalidate_entry(PvalidateEntry{PhysAddr(gpa), huge, validate, ignore_cf});
}

}  // namespace warden::svsm::testing
