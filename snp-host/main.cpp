// The emulated SEV-SNP host (DESIGN 2a, issue 16), in boot order: console,
// CPU tables, page tables; the launch of Warden's IGVM file (fw_cfg, guest
// memory, placement and digest); then the BSP's VMRUN loop.
// docs/snp-host.md says what is modelled.
#include <cstdint>

#include "console.hpp"
#include "cpu.hpp"
#include "fw_cfg_dma.hpp"
#include "guest_memory.hpp"
#include "idt.hpp"
#include "launch.hpp"
#include "npt.hpp"
#include "psp.hpp"
#include "paging.hpp"
#include "rmp_model.hpp"
#include "rmp_seam.hpp"
#include "smp.hpp"
#include "vcpu.hpp"
#include "warden/bytes.hpp"
#include "warden/igvm/boot_block.hpp"

namespace snp_host {

void run_global_constructors();  // runtime.cpp

namespace {

constexpr uint64_t k4GiB = uint64_t{4} << 30;

void print_digest(const warden::crypto::Sha384Digest& d) {
    char text[2 * warden::crypto::kSha384Size];
    log("launch digest {}", warden::to_hex(d, text));
}

constexpr uint64_t kMaxIgvmMemory = uint64_t{256} << 20;  // what the host backs above 4 GiB, at most

// Guest RAM: QEMU's RAM below 4 GiB minus the host's own, the guest's flash
// capacity (as large as the packer's largest firmware) and the IGVM memory
// the file asks for above 4 GiB, which follow RAM in host memory in that
// order; 2 MiB aligned.
GuestMemory carve_guest_memory(const IgvmMemory& igvm) {
    constexpr uint64_t kFlash = warden::igvm::kMaxFirmware;
    uint64_t ram = fw_cfg::read_small(fw_cfg::kRamSize, 8);
    if (ram > 3 * (k4GiB / 4)) ram = 3 * (k4GiB / 4);  // QEMU pc: RAM above 3 GiB moves above 4 GiB
    if (ram < kHostMemoryEnd + kFlash + igvm.size + 64 * kMiB)
        fail(
            "too little RAM: give QEMU at least 64 MiB more than the host's 128, the flash's 16 and the IGVM "
            "memory (-m)");
    GuestMemory g{.hpa_base = kHostMemoryEnd,
                  .size = (ram - kHostMemoryEnd - kFlash - igvm.size) & ~(2 * kMiB - 1),
                  .flash_capacity = kFlash,
                  .igvm_base = igvm.base,
                  .igvm_size = igvm.size};
    if (g.size > npt_max_guest_bytes(kFlash + igvm.size)) {
        g.size = npt_max_guest_bytes(kFlash + igvm.size);
        log("guest memory capped at {} MiB: the nested views of larger guests do not fit the host's storage",
            g.size / kMiB);
    }
    log("guest memory: GPA 0..{:#x} at HPA {:#x} ({} MiB; the host keeps the low {} MiB); flash capacity GPA "
        "{:#x}..{:#x} at HPA {:#x}",
        g.size, g.hpa_base, g.size / kMiB, kHostMemoryEnd / kMiB, k4GiB - g.flash_capacity, k4GiB,
        g.hpa(k4GiB - g.flash_capacity));
    if (g.igvm_size != 0)
        log("IGVM memory: GPA {:#x}..{:#x} at HPA {:#x} ({} MiB), outside every memory map the guest reads (QEMU's "
            "region for IGVM ranges no RAM covers)",
            g.igvm_base, g.igvm_base + g.igvm_size, g.hpa(g.igvm_base), g.igvm_size / kMiB);
    return g;
}

Launched launched;
Machine machine;

// fw_cfg opt/snp-host/selftest "fault": the host writes to page 0 (unmapped)
// right after loading its own tables, to show that a host fault is reported
// with its cause (the snp suite checks the report). "void": the BSP's first
// exit has the host's RIP and CR3 in its save area, as TCG's broken #VMEXIT
// leaves it (vcpu.cpp), to show that the run ends void.
void selftest() {
    alignas(8) static uint8_t text[16];
    auto n = fw_cfg::read_file("opt/snp-host/selftest", text);
    if (!n) return;
    const std::string_view which(reinterpret_cast<const char*>(text), *n);
    if (which == "void") {
        log("selftest: the BSP's first #VMEXIT will look like TCG's broken one");
        machine.selftest_void = true;
    }
    if (which != "fault") return;
    log("selftest: writing to page 0");
    static volatile uintptr_t target = 8;  // not a constant: the compiler must emit the store
    *reinterpret_cast<volatile uint64_t*>(target) = 0;
}

// fw_cfg opt/snp-host/cpuid: edits the host, as the hypervisor, makes to the
// CPUID page it proposes (warden/snp/cpuid_edit.hpp), so that the PSP's
// check has something to reject (the snp suite checks its report). Bad
// syntax ends the run before the launch.
const warden::snp::CpuidEdits* hypervisor_cpuid_edits() {
    alignas(8) static uint8_t text[512];
    static warden::snp::CpuidEdits edits;
    auto n = fw_cfg::read_file("opt/snp-host/cpuid", text);
    if (!n && n.error() == warden::Error::kNotFound) return nullptr;
    if (!n) {
        log("fw_cfg opt/snp-host/cpuid: {} (at most {} bytes)", n.error(), sizeof(text));
        fail("the hypervisor's CPUID edits cannot be read");
    }
    warden::snp::CpuidEditSyntax why;
    auto parsed = warden::snp::parse_cpuid_edits(std::string_view(reinterpret_cast<const char*>(text), *n), &why);
    if (!parsed) {
        log("fw_cfg opt/snp-host/cpuid: byte {}: {}", why.at, why.what);
        fail("the hypervisor's CPUID edits do not parse (FUNCTION:SUBLEAF:FIELD OP VALUE, e.g. 0x7:0:ebx|=0x10000)");
    }
    edits = *parsed;
    log("hypervisor: {} CPUID edit(s) for the page it proposes (fw_cfg opt/snp-host/cpuid)", edits.count);
    return &edits;
}

}  // namespace
}  // namespace snp_host

extern "C" [[noreturn]] void host_main(uint64_t reset_tsc) {
    using namespace snp_host;
    run_global_constructors();
    console_init();
    // The 8259s stay masked: the host takes no interrupts, and a -bios of our own
    // leaves nothing programmed (QEMU-FACTS, "AMD SVM under TCG").
    cpu::outb(0x21, 0xff);
    cpu::outb(0xa1, 0xff);
    cpu_tables_init(0);
    psp_cpu_init(0);
    copy_ap_trampoline();
    paging_init();
    const auto svm = cpu::cpuid(0x8000000a, 0);
    log("emulated SEV-SNP host for Warden (reset tsc {}); SVM revision {}, {} ASIDs, features {:#x}", reset_tsc,
        svm.eax & 0xff, svm.ebx, svm.edx);
    selftest();
    const auto* cpuid_edits = hypervisor_cpuid_edits();

    auto file = std::span<uint8_t>(reinterpret_cast<uint8_t*>(kIgvmBuffer), kIgvmBufferSize);
    auto size = fw_cfg::read_file("opt/warden/igvm", file);
    if (!size) {
        log("no IGVM file: fw_cfg opt/warden/igvm: {}", size.error());
        fail("nothing to launch (-fw_cfg name=opt/warden/igvm,file=build/warden.igvm)");
    }
    const auto igvm_memory = snp_host::igvm_memory(file.first(*size), kMaxIgvmMemory);
    if (!igvm_memory) {
        log("IGVM file: {}", igvm_memory.error());
        fail("the IGVM file's memory cannot be backed");
    }
    machine.guest = carve_guest_memory(*igvm_memory);
    const LaunchChoices choices{.vcpus = static_cast<uint32_t>(fw_cfg::read_small(fw_cfg::kCpuCount, 2)),
                                .cpu_signature = cpu::cpuid(1, 0).eax,
                                .cpuid_edits = cpuid_edits};
    log("IGVM file: {} bytes; {} vCPU(s), CPU signature {:#x}", *size, choices.vcpus, choices.cpu_signature);
    // One host CPU per vCPU, each with its contexts: the launch would measure
    // (VP_COUNT, AP VMSAs) vCPUs the host cannot run.
    if (choices.vcpus == 0 || choices.vcpus > kMaxCpus) fail("1 to 8 vCPUs are modelled (QEMU -smp 1..8)");
    static ModelRmp model;  // also read by the nested tables (build_rmp_nested_tables)
    if (!model.init(machine.guest)) fail("the RMP does not fit its host storage (32 MiB at 32 MiB)");
    machine.rmp = &model;
    log("RMP: {}", model.name());
    if (auto r = launch(file.first(*size), machine.guest, choices, model, launched); !r) {
        log("launch failed: {}", r.error());
        fail("the PSP refuses the launch");
    }
    log("launched: {} pages measured, policy {:#x}, secrets page {:#x}, CPUID page {:#x}", launched.pages,
        launched.policy, launched.secrets_gpa, launched.cpuid_gpa);
    machine.guest.flash_size = launched.flash_pages * 4096;
    if (launched.flash_pages != 0)
        log("launched: the guest's firmware, {} pages ({} KiB), at GPA {:#x}..{:#x}: private, validated, all rights "
            "at VMPL0 only",
            launched.flash_pages, launched.flash_pages * 4, machine.guest.flash_base(), k4GiB);
    print_digest(launched.digest);
    (void)psp_init(launched);  // without it every guest request is refused (said once)

    if (auto r = fw_cfg_guest_init(machine.guest); r)
        log("fw_cfg: the guest's etc/e820 is its own RAM, GPA 0..{:#x} (L1's describes L1)", machine.guest.size);
    else
        log("fw_cfg: no etc/e820 for the guest: {}", r.error());
    chipset_init(machine.chipset);
    npt_init(machine.guest, ModelRmp::rights, &model);
    machine.vcpus = choices.vcpus;
    set_machine(machine);
    const unsigned cpus = start_host_cpus(choices.vcpus);
    log("host CPUs: {} of {} online, one per vCPU", cpus, choices.vcpus);
    if (cpus != choices.vcpus) fail("a host CPU did not come up: the launch measured a vCPU that cannot run");
    Vcpu& bsp = vcpu(0);
    vcpu_init(bsp, machine, launched.bsp_vmsa);
    vcpu_run(bsp);
    fail("the BSP left its VMRUN loop");  // ap_reset_hold refuses the BSP
}
