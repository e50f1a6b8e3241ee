// The host's own CPUs: one per vCPU. The BSP starts the others with
// INIT-SIPI-SIPI through the xAPIC (SDM 8.4.4; QEMU-FACTS "Devices": TCG has
// no x2APIC); each sets up its tables and SVM, then waits for a vCPU to run
// (AP creation, GHCB spec 4.1.8).
#pragma once

#include <cstdint>

#include "paging.hpp"
#include "warden/igvm/kvm_vmsa.hpp"

namespace snp_host {

struct Machine;
struct Vcpu;

// Before paging_init: the trampoline goes to kApTrampoline while it is writable.
void copy_ap_trampoline();
// Starts host CPUs 1..count-1; returns how many came up.
unsigned start_host_cpus(unsigned count);
uint32_t this_apic_id();
// An interrupt waits in this CPU's local APIC (an IRR bit set: accepted, not
// yet taken; SDM vol. 3 11.8.4).
bool lapic_interrupt_pending();
Vcpu& vcpu(unsigned index);  // its VMPL0 context
Vcpu& context(unsigned index, unsigned vmpl);
void set_machine(Machine& m);
// The host CPU with that APIC ID, -1 if none is online.
int host_cpu_for_apic_id(uint32_t apic_id);
// The APIC IDs of the online host CPUs (the VM's vCPUs), in vCPU order,
// into out; how many there are.
unsigned online_apic_ids(uint32_t (&out)[kMaxCpus]);
// AP creation: that CPU builds a vCPU from this (already checked) VMSA copy.
// false when it already runs one or has one pending.
bool request_vcpu(unsigned cpu_index, const warden::igvm::VmsaPage& vmsa);

}  // namespace snp_host
