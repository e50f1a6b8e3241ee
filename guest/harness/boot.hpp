// The harness guest's page tables, GDT and IDT (boot.cpp).
#pragma once

#include <atomic>
#include "vcpu.hpp"

namespace harness {

// External interrupts taken (entry.S irq_stub, boot.cpp harness_irq).
extern std::atomic<uint64_t> irq_ticks;

// Identity map of 0..4 GiB, private (C-bit) everywhere: 2 MiB pages, 4 KiB
// ones over the image's first 2 MiB; then CR3 points at them.
void build_page_tables(Vcpu& v);
uint64_t page_tables_root(const Vcpu& v);  // CR3, with the C-bit
// One 4 KiB page of the image mapped shared (C-bit clear) or private again.
void set_shared(Vcpu& v, const void* page, bool shared);
void load_descriptor_tables(Vcpu& v);

}  // namespace harness
