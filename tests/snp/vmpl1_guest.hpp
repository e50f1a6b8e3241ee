// A VMPL1 context for the emulated SNP host's negative images: Warden, at
// VMPL0, builds a tiny 64-bit VMPL1 world on this vCPU out of its own
// frames and runs it once through RUN_VMPL (Platform::run_vmpl). The same
// world at another VMPL (build(2): the guest's) for the guest-memory images.
//
// VMPL1 gets exactly the rights its pages need (RMPADJUST from VMPL0, APM
// vol. 2 15.36.7): its page tables read/write (the walk may set A/D bits),
// its code read + execute, its data and the target page read/write. Its
// VMSA page gets the VMSA bit and no rights at VMPL1 (Warden's
// start_guest_vcpu). The page tables map the low 4 GiB and the GiB of
// Warden's frames to the same GPA, with the C-bit: every page VMPL1 touches
// is private, and every GPA Warden names below is also VMPL1's GVA.
#pragma once

#include <cstddef>
#include <cstring>
#include <span>

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "log.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "platform/platform.hpp"
#include "task/log_ring.hpp"
#include "warden/sev/ioio.hpp"
#include "warden/sev/vmsa.hpp"

extern "C" const uint8_t vmpl1_stub_start[], vmpl1_stub_end[];

namespace vmpl1 {

using namespace warden;

// The stub's data page (vmpl1_stub.S).
struct Data {
    uint64_t target, attrs_more, attrs_less, write_to;
    uint64_t eax_more, eax_less, runs;
    uint64_t read_from, spin;
    uint64_t probe_vector;     // non-zero: the stub's vector-state probe
    uint64_t xmm0_seen[2];     // XMM0 as VMPL1 found it
    uint64_t xmm1_pattern[2];  // what VMPL1 leaves in XMM1
};
static_assert(offsetof(Data, spin) == 64 && offsetof(Data, probe_vector) == 72 && offsetof(Data, xmm0_seen) == 80 &&
              offsetof(Data, xmm1_pattern) == 96);  // vmpl1_stub.S

struct World {
    PhysAddr data_page, target, vmsa, pml4;
    Data* data = nullptr;
};

inline uint64_t gpa(PhysAddr p) { return p.raw(); }

inline Result<PhysAddr> page() {
    WARDEN_TRY(frame, mm::alloc_frames(0));
    std::memset(mm::phys_to_virt(frame), 0, kPageSize);
    return frame;
}

// RMPADJUST from VMPL0 giving `vmpl` `perms` on one of Warden's frames.
inline bool grant(PhysAddr frame, uint8_t perms, uint8_t vmpl = 1) {
    const uint64_t va = reinterpret_cast<uint64_t>(mm::phys_to_virt(frame));
    const uint32_t eax = arch::rmpadjust(va, false, sev::rmpadjust_attributes(vmpl, perms, false));
    if (eax != 0) log::raw("vmpl1: RMPADJUST granting VMPL{} {:#x} on {:#x}: eax {}", vmpl, perms, frame.raw(), eax);
    return eax == 0;
}

// The world at `vmpl` on the vCPU with `apic_id` (VMPL1 on this one by
// default; at VMPL0 AP creation starts it on an idle vCPU at once), running
// vmpl1_stub.S or the code given (position independent, RDI = the data page).
inline Result<World> build(uint8_t vmpl = 1, uint32_t apic_id = arch::apic::this_apic_id(),
                           std::span<const uint8_t> stub = {}) {
    auto& p = platform::current();
    const uint64_t c_bit = p.encryption_mask();
    // Page-table entries (SDM vol. 3 4.5): P | RW | A, and PS | D on 1 GiB and 2 MiB leaves.
    constexpr uint64_t kTable = 0x23, kLeaf = 0xe3;
    WARDEN_TRY(pml4, page());
    WARDEN_TRY(pdpt_low, page());
    WARDEN_TRY(pdpt, page());
    WARDEN_TRY(pd, page());
    WARDEN_TRY(code, page());
    World w;
    WARDEN_TRY(data_page, page());
    WARDEN_TRY(target, page());
    w.data_page = data_page, w.target = target, w.pml4 = pml4;
    // Identity over the low 4 GiB (guest RAM, where the tests' guest pages
    // are), 1 GiB pages, and over the GiB of Warden's frames (the SVSM
    // memory lies in one: 512 GiB by default, docs/igvm.md), where every
    // page of the world is, 2 MiB pages.
    constexpr uint64_t kGiB = uint64_t{1} << 30;
    auto* low = mm::phys_to_virt<uint64_t>(pdpt_low);
    for (uint64_t i = 0; i < 4; ++i) low[i] = (i * kGiB) | c_bit | kLeaf;
    mm::phys_to_virt<uint64_t>(pml4)[0] = gpa(pdpt_low) | c_bit | kTable;
    const uint64_t gib = gpa(code) & ~(kGiB - 1);
    if (gib >= 4 * kGiB) {
        const uint64_t slot = (gib >> 39) & 511;
        auto* up = slot == 0 ? low : mm::phys_to_virt<uint64_t>(pdpt);
        if (slot != 0) mm::phys_to_virt<uint64_t>(pml4)[slot] = gpa(pdpt) | c_bit | kTable;
        up[(gib >> 30) & 511] = gpa(pd) | c_bit | kTable;
        for (uint64_t i = 0; i < 512; ++i) mm::phys_to_virt<uint64_t>(pd)[i] = (gib + (i << 21)) | c_bit | kLeaf;
    }
    if (stub.empty()) stub = {vmpl1_stub_start, static_cast<size_t>(vmpl1_stub_end - vmpl1_stub_start)};
    if (stub.size() > kPageSize) return Fail(Error::kOutOfRange);
    std::memcpy(mm::phys_to_virt(code), stub.data(), stub.size());
    const uint8_t rw = sev::kRmpRead | sev::kRmpWrite;
    const uint8_t rx = sev::kRmpRead | sev::kRmpExecUser | sev::kRmpExecSupervisor;
    const uint8_t to = vmpl == 0 ? 1 : vmpl;  // VMPL0 holds every right already: VMPL1's, as before
    if (!grant(pml4, rw, to) || !grant(pdpt_low, rw, to) || !grant(pdpt, rw, to) || !grant(pd, rw, to) ||
        !grant(code, rx, to) || !grant(data_page, rw, to) || !grant(target, rw, to))
        return Fail(Error::kDenied);
    w.data = mm::phys_to_virt<Data>(data_page);
    w.data->target = gpa(target);
    // VMPL1 holds read and write on the target: it may pass on read, not execute.
    w.data->attrs_more = sev::rmpadjust_attributes(2, sev::kRmpRead | sev::kRmpExecSupervisor, false);
    w.data->attrs_less = sev::rmpadjust_attributes(2, sev::kRmpRead, false);
    const uint64_t sev_features = arch::rdmsr(0xc0010131) >> 2;  // SEV_STATUS bit n+2 = SEV_FEATURES bit n
    const auto vmsa = sev::make_vmsa_long_mode(sev::LongModeState{.rip = gpa(code),
                                                                  .rsp = gpa(data_page) + kPageSize,
                                                                  .rdi = gpa(data_page),
                                                                  .cr3 = gpa(pml4) | c_bit,
                                                                  .sev_features = sev_features,
                                                                  .vmpl = vmpl});
    WARDEN_TRY(scratch, page());
    std::memcpy(mm::phys_to_virt(scratch), vmsa.data(), vmsa.size());
    w.data->spin = vmpl == 0;  // set before the vCPU can run
    WARDEN_TRY(running, p.start_guest_vcpu(scratch, apic_id, sev_features));
    w.vmsa = running;
    log::raw("vmpl1: VMPL{} context on APIC ID {}: code {:#x}, data {:#x}, target {:#x}, VMSA {:#x}", vmpl, apic_id,
             gpa(code), gpa(data_page), gpa(target), gpa(running));
    return w;
}

}  // namespace vmpl1
