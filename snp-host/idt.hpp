// The host's GDT, TSS (IST stacks with guard pages) and IDT: every exception
// is reported with its vector, error code, RIP, CR2 and registers, then QEMU
// ends with the fail code. The host takes no interrupts (GIF stays clear
// outside VMRUN; the PIC is masked).
#pragma once

namespace snp_host {

// This CPU's GDT and TSS (its own IST stacks) and the shared IDT.
void cpu_tables_init(unsigned cpu);

}  // namespace snp_host
