// The harness guest's judgement of its SVSM (checks.cpp): the calls the
// native harness (services/guest/harness) makes, in the same order, judged
// by their answers and by the validation state this guest can see.
#pragma once

#include "vcpu.hpp"

namespace harness {

struct Tally {
    unsigned calls = 0, passed = 0, failed = 0;
};

void linux_order(Vcpu& v, Tally& t);
void malformed(Vcpu& v, Tally& t);
void attestation(Vcpu& v, Tally& t);
void vtpm(Vcpu& v, Tally& t);
void taken_vmsa(Vcpu& v, Tally& t);
// vCPU 0 only (fw_cfg is one device): the memory map the hypervisor gives
// the guest's firmware, fw_cfg etc/e820, read through the ports, parses,
// and its RAM holds what the loader gave this guest. Its extent is printed
// (`harness: fw_cfg etc/e820: RAM 0x0..0x...`) for the test to compare
// with the host's.
void platform_view(Vcpu& v, Tally& t);
// vCPU 0 only: the PCI configuration space and PIIX4 PM timer the
// hypervisor emulates for the guest's firmware (chipset_checks.cpp).
void chipset_view(Vcpu& v, Tally& t);
// vCPU 0: the VM's 8259s and 8254 channel 0 as the hypervisor gives them to
// the guest, their IRQ0 counted against the TSC (irq_checks.cpp).
void interrupt_view(Vcpu& v, Tally& t);

// One check's verdict, counted in t; a line names it when it failed.
void expect(const Vcpu& v, Tally& t, const char* what, bool cond);

}  // namespace harness
