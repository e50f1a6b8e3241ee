// The emulated SEV-SNP host (DESIGN 2a, issue 16), in boot order: console,
// CPU tables, page tables; then the launch of Warden's IGVM file and its
// BSP's first VMRUN. docs/snp-host.md says what is modelled.
#include <cstdint>

#include "console.hpp"
#include "cpu.hpp"
#include "idt.hpp"
#include "paging.hpp"

extern "C" [[noreturn]] void host_main(uint64_t reset_tsc) {
    using namespace snp_host;
    console_init();
    // The 8259s stay masked: the host takes no interrupts, and a -bios of our own
    // leaves nothing programmed (QEMU-FACTS, "AMD SVM under TCG").
    cpu::outb(0x21, 0xff);
    cpu::outb(0xa1, 0xff);
    cpu_tables_init();
    paging_init();
    const auto svm = cpu::cpuid(0x8000000a, 0);
    log("emulated SEV-SNP host for Warden (reset tsc {}); SVM revision {}, {} ASIDs, features {:#x}", reset_tsc,
        svm.eax & 0xff, svm.ebx, svm.edx);
    exit_qemu(kExitPass);
}
