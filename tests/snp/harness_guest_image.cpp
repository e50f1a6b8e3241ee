// A stand-in for the loader and the SNP request loop, until Warden has them
// (issue 17 section 3): this test image places the harness guest
// (guest/harness, embedded by embed_blob.py) in guest RAM as its
// entry contract says (lib/warden/svsm/guest_entry.hpp), starts it at the
// guest's VMPL on this vCPU, and serves each call it makes from its VMSA's
// registers and its Calling Area with lib's dispatcher over kernel/svsm,
// until the guest terminates. It is not the request loop: one vCPU, no
// task, everything in this KTEST.
#include <cstring>

#include "arch/x86_64/apic.hpp"
#include "log.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "svsm/guest.hpp"
#include "task/log_ring.hpp"
#include "test/ktest.hpp"
#include "warden/sev/vmsa.hpp"
#include "warden/svsm/guest_entry.hpp"

extern "C" const uint8_t harness_guest_start[], harness_guest_end[];

namespace {

using namespace warden;
namespace entry = svsm::entry;

// The guest's first 2 MiB, validated for it: the loader's page tables, the
// boot, secrets and CPUID pages and the first Calling Area below 1 MiB, the
// image from 1 MiB. The scratch: 8..12 MiB, never validated (the initial
// Calling Areas of kernel/svsm sit at 4 MiB).
constexpr uint64_t kTables = 0x10000, kBootPage = 0x20000, kSecrets = 0x21000, kCpuid = 0x22000, kCaa = 0x23000;
constexpr uint64_t kScratch = 8 << 20;

// Lib's dispatcher over kernel/svsm, as the request loop's system calls do it.
class KernelServices final : public svsm::GuestServices {
public:
    bool in_guest_hands(PhysRange r) const override { return guest::in_guest_hands(r); }
    bool apic_id_exists(uint32_t apic_id) const override { return apic_id == arch::apic::this_apic_id(); }
    Result<void> create_vcpu(PhysAddr vmsa, PhysAddr caa, uint32_t apic_id) override {
        return guest::create_vcpu(vmsa, caa, apic_id);
    }
    Result<void> delete_vcpu(PhysAddr vmsa) override { return guest::delete_vcpu(vmsa); }

private:
    Result<void> copy_from_guest(PhysAddr gpa, void* out, size_t len) override { return guest::read(gpa, out, len); }
    Result<void> copy_to_guest(PhysAddr gpa, const void* in, size_t len) override { return guest::write(gpa, in, len); }
    Result<svsm::PvalidateOutcome> change_validation(PhysAddr page, bool huge, bool validate) override {
        return guest::pvalidate(page, huge, validate);
    }
};

Result<void> put(uint64_t gpa, const void* bytes, size_t len) { return guest::write(PhysAddr(gpa), bytes, len); }

// The loader's page tables (the contract: the image and its boot page
// identity-mapped with the C-bit): 0..1 GiB in 2 MiB pages, A and D set.
Result<void> loader_tables(uint64_t c_bit) {
    uint64_t table[512] = {};
    table[0] = (kTables + 0x1000) | c_bit | 0x23;
    WARDEN_TRY_VOID(put(kTables, table, sizeof table));
    table[0] = (kTables + 0x2000) | c_bit | 0x23;
    WARDEN_TRY_VOID(put(kTables + 0x1000, table, sizeof table));
    for (uint64_t i = 0; i < 512; ++i) table[i] = (i << 21) | c_bit | 0xe3;
    return put(kTables + 0x2000, table, sizeof table);
}

Result<PhysAddr> load(const entry::ImageHeader& h, uint64_t c_bit, uint64_t sev_features) {
    WARDEN_TRY_VOID(put(h.load_gpa, harness_guest_start, h.file_size));
    WARDEN_TRY_VOID(loader_tables(c_bit));
    uint8_t page[kPageSize];
    WARDEN_TRY_VOID(guest::make_secrets_page(PhysAddr(kCaa), std::span<uint8_t, kPageSize>(page)));
    WARDEN_TRY_VOID(put(kSecrets, page, sizeof page));
    const bool cpuid = guest::make_cpuid_page(std::span<uint8_t, kPageSize>(page)).ok();
    if (cpuid) WARDEN_TRY_VOID(put(kCpuid, page, sizeof page));
    entry::write_boot_page(entry::BootPage{.vcpu_index = 0,
                                           .apic_id = arch::apic::this_apic_id(),
                                           .vcpu_count = 1,
                                           .secrets_gpa = kSecrets,
                                           .cpuid_gpa = cpuid ? kCpuid : 0,
                                           .caa_gpa = kCaa,
                                           .ram_end = guest::memory().end().raw(),
                                           .scratch_gpa = kScratch,
                                           .scratch_size = h.scratch_size},
                           std::span<uint8_t, kPageSize>(page));
    WARDEN_TRY_VOID(put(kBootPage, page, sizeof page));
    const auto vmsa = sev::make_vmsa_long_mode(sev::LongModeState{.rip = h.entry,
                                                                  .rsp = 0,
                                                                  .rdi = kBootPage,
                                                                  .cr3 = kTables | c_bit,
                                                                  .sev_features = sev_features,
                                                                  .vmpl = guest::vmpl()});
    WARDEN_TRY(frame, mm::alloc_frames(0));
    std::memcpy(mm::phys_to_virt(frame), vmsa.data(), vmsa.size());
    return platform::current().start_guest_vcpu(frame, arch::apic::this_apic_id(), sev_features);
}

// The SVSM calling convention's registers in the VMSA page (SPEC-FACTS 6).
constexpr size_t kRax = 0x1f8, kRcx = 0x308, kRdx = 0x310, kR8 = 0x340, kR9 = 0x348;
uint64_t& reg(uint8_t* vmsa, size_t at) { return *reinterpret_cast<uint64_t*>(vmsa + at); }

}  // namespace

KTEST("snp harness guest: the harness image runs at the guest's VMPL, its calls served by a stand-in loop") {
    const std::span<const uint8_t> file(harness_guest_start,
                                        static_cast<size_t>(harness_guest_end - harness_guest_start));
    auto h = entry::parse_image_header(file);
    if (!KCHECK(h.ok())) return;
    if (!KCHECK(guest::memory().contains(PhysRange{PhysAddr(0), 12 << 20}))) return;
    if (!KCHECK(h->end() <= kLargePageSize)) return;
    auto validated = guest::pvalidate(PhysAddr(0), true, true);
    if (!KCHECK(validated.ok())) return;
    const uint64_t c_bit = platform::current().encryption_mask();
    const uint64_t sev_features = guest::sev_features();
    auto vmsa_page = load(*h, c_bit, sev_features);
    if (!KCHECK(vmsa_page.ok())) return;
    log::raw("snp-harness: the harness guest ({} bytes, {} KiB in memory) at GPA {:#x}, VMPL{}, VMSA {:#x}",
             h->file_size, h->memory_size / 1024, h->load_gpa, guest::vmpl(), vmsa_page->raw());
    task::log_ring::flush(2'000'000);
    uint8_t* vmsa = mm::phys_to_virt<uint8_t>(*vmsa_page);
    KernelServices services;
    svsm::VcpuState vcpu{.caa = PhysAddr(kCaa), .attestation = true};
    for (unsigned calls = 0;; ++calls) {
        if (!platform::current().run_vmpl(guest::vmpl())) {
            KCHECK(false);
            return;
        }
        svsm::CallRegs r{.rax = reg(vmsa, kRax),
                         .rcx = reg(vmsa, kRcx),
                         .rdx = reg(vmsa, kRdx),
                         .r8 = reg(vmsa, kR8),
                         .r9 = reg(vmsa, kR9)};
        (void)svsm::serve(r, vcpu, services);
        reg(vmsa, kRax) = r.rax, reg(vmsa, kRcx) = r.rcx, reg(vmsa, kRdx) = r.rdx, reg(vmsa, kR8) = r.r8;
        reg(vmsa, kR9) = r.r9;
    }
}
