// The bench image for the emulated SNP host (docs/snp-host.md "Measurements",
// `./warden bench snp`): after the ready line it brackets kReps repetitions of
// each SVSM-relevant operation between two mark lines, on which the host
// prints its world-switch counters. The operations go through Warden's own
// calls (platform, early console, fw_cfg encodings), so the counts are what
// Warden pays. An empty bracket measures what the mark line itself costs.
#include <string_view>

#include "arch/x86_64/cpu.hpp"
#include "console/early_console.hpp"
#include "log.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "platform/platform.hpp"
#include "task/log_ring.hpp"
#include "test/ktest.hpp"
#include "vmpl1_guest.hpp"
#include "warden/fw_cfg.hpp"

namespace {

using namespace warden;
namespace fc = warden::fw_cfg;

constexpr unsigned kReps = 64;
constexpr unsigned kRounds = 2;  // every bracket twice: the counts must repeat
// The early console reads the UART's status once per 16 bytes (its FIFO,
// early_console.cpp): a line whose length on the wire ("\r\n" included) is a
// multiple of 16 costs the same port IO wherever the previous line ended.
constexpr size_t kFifo = 16;
constexpr size_t kMarkWire = 48;                        // "snp-bench: mark NAME", padded with spaces
constexpr std::string_view kLine = "snp-bench line\n";  // 14 characters + "\r\n": 16 bytes
static_assert(kMarkWire % kFifo == 0 && (kLine.size() + 1) % kFifo == 0);
constexpr uint32_t kMsrApicBase = 0x1b;  // APIC_BASE (AMD APM vol. 2, ch. 16): Warden's APIC code reads it
constexpr uint32_t kDmaBytes = 4096;
constexpr uint64_t kRflagsIf = 1u << 9;  // AMD APM vol. 2 3.1.6

// "snp-bench: mark <name> <round> <begin|end>" straight to the UART (not the
// log ring: the console task must not run inside a bracket). snp-host's
// port_io.cpp reports its counters once the newline has passed.
void mark(std::string_view name, unsigned round, bool begin) {
    fmt::FixedString<kMarkWire> text;
    fmt::format(text, "snp-bench: mark {} {} {}", name, round, begin ? "begin" : "end");
    while (text.view().size() < kMarkWire - 2) fmt::format(text, " ");  // "\r\n" makes it kMarkWire
    fmt::format(text, "\n");
    console::sink().write(text.view());
}

// Frames the operations work on, and the fw_cfg DMA pair (descriptor page,
// data page) shared with the host as Warden's DMA buffers are (task.cpp
// map_dma_buffer: make_shared, then mapped with the C-bit clear).
struct Bench {
    PhysAddr pvalidate_frame, psc_frame, rmpadjust_frame, dma_pair;
    volatile fc::DmaAccess* descriptor = nullptr;
    uint16_t dma_selector = 0;
    bool dma = false;
    bool ok = true;
};
Bench bench;
fc::Directory directory;

// One fw_cfg DMA transfer as the fw_cfg service runs it (services/fw_cfg
// run_dma): the descriptor's address to the two DMA ports, then its control
// word polled (QEMU finishes before the port write returns).
bool run_dma(const fc::DmaAccess& a) {
    bench.descriptor->control_be = a.control_be;
    bench.descriptor->length_be = a.length_be;
    bench.descriptor->address_be = a.address_be;
    arch::outl(fc::kDmaPortHigh, fc::be32(static_cast<uint32_t>(bench.dma_pair.raw() >> 32)));
    arch::outl(fc::kDmaPortLow, fc::be32(static_cast<uint32_t>(bench.dma_pair.raw())));
    for (unsigned spins = 0; spins < 1'000'000; ++spins) {
        switch (fc::dma_state(bench.descriptor->control_be)) {
        case fc::DmaState::kDone: return true;
        case fc::DmaState::kError: return false;
        case fc::DmaState::kBusy: arch::pause(); break;
        }
    }
    return false;
}

// The shared pair, the directory by DMA into the data page, and a file of
// at least 4 KiB to read (the IGVM file the host was given, normally).
bool setup_dma() {
    auto pair = mm::alloc_zeroed(1);
    if (!pair) return false;
    bench.dma_pair = *pair;
    if (!platform::current().make_shared(*pair, 2)) return false;
    auto* va = mm::phys_to_virt<uint8_t>(*pair);
    const mm::MapFlags shared{.writable = true, .global = true, .encrypted = false};
    if (!mm::kernel_mapper().protect(VirtAddr(reinterpret_cast<uint64_t>(va)), 2 * kPageSize, shared)) return false;
    bench.descriptor = reinterpret_cast<volatile fc::DmaAccess*>(va);
    if (!run_dma(fc::make_dma_read(fc::kFileDir, kDmaBytes, (*pair + kPageSize).raw()))) return false;
    const std::span<const uint8_t> data(va + kPageSize, kDmaBytes);
    if (!fc::parse_directory(data, directory)) return false;  // more files than one page holds: no DMA bracket
    const fc::File* file = directory.find("opt/warden/igvm");
    for (size_t i = 0; file == nullptr && i < directory.count; ++i) {
        if (directory.files[i].size >= kDmaBytes) file = &directory.files[i];
    }
    if (file == nullptr || file->size < kDmaBytes) return false;
    bench.dma_selector = file->selector;
    log::raw("snp-bench: fw_cfg DMA reads {} bytes of {}", kDmaBytes, file->name_view());
    return true;
}

void nothing() {}
void console_line() { console::sink().write(kLine); }
void cpuid() { (void)arch::cpuid(0x8000001f); }  // the SEV leaf platform::detect reads; the CPUID page has it
void msr_read() { (void)arch::rdmsr(kMsrApicBase); }
void pvalidate() {
    auto& p = platform::current();
    bench.ok = bench.ok && p.validate(bench.pvalidate_frame, mm::PageSize::k4K, false).ok() &&
               p.validate(bench.pvalidate_frame, mm::PageSize::k4K, true).ok();
}
void page_state() {
    auto& p = platform::current();
    bench.ok = bench.ok && p.make_shared(bench.psc_frame, 1).ok() && p.make_private(bench.psc_frame, 1).ok();
}
void fw_cfg_dma() {
    bench.ok =
        bench.ok && run_dma(fc::make_dma_read(bench.dma_selector, kDmaBytes, (bench.dma_pair + kPageSize).raw()));
}
void rmpadjust() {
    bench.ok = bench.ok && platform::current().set_rmp_permissions(bench.rmpadjust_frame, 1, platform::kRmpRead).ok();
}

// One SVSM-call-shaped round trip: VMPL0 runs VMPL1 by RUN_VMPL (GHCB page),
// VMPL1 asks for VMPL0 again at once (MSR protocol). The stub does nothing
// else: its target is 0.
void run_vmpl() { bench.ok = bench.ok && platform::current().run_vmpl(1).ok(); }

struct Operation {
    std::string_view name;
    void (*run)();
};
constexpr Operation kOperations[] = {
    {"empty", nothing},              // the baseline: what the end mark's line costs
    {"console-line", console_line},  // 16 bytes through the early console (IOIO #VCs)
    {"cpuid", cpuid},                // #VC, answered from the CPUID page
    {"rdmsr", msr_read},             // #VC, an MSR the host answers through the GHCB
    {"pvalidate", pvalidate},        // one 4 KiB page rescinded and validated again
    {"psc", page_state},             // one page private -> shared -> private
    {"fw_cfg-dma", fw_cfg_dma},      // a 4 KiB fw_cfg DMA read into a shared page
    {"rmpadjust", rmpadjust},        // VMPL1's read right on one page
    {"run-vmpl", run_vmpl},          // VMPL0 -> VMPL1 -> VMPL0, as a guest's SVSM call is
};

}  // namespace

KTEST("snp bench: world switches per operation, between the host's marks") {
    // Everything the boot had to say out first: from here the kernel writes
    // the UART itself and calls nothing that lets a task run.
    task::log_ring::flush(2'000'000);
    console::sink().write("\n");  // the console task may have been stopped inside a line: marks start one
    KCHECK(!(arch::read_rflags() & kRflagsIf));  // the kernel is not preemptible: no interrupt inside a bracket
    auto a = mm::alloc_frames(0), b = mm::alloc_frames(0), c = mm::alloc_frames(0);
    KCHECK(a.ok() && b.ok() && c.ok());
    if (!a || !b || !c) return;
    bench.pvalidate_frame = *a, bench.psc_frame = *b, bench.rmpadjust_frame = *c;
    bench.dma = setup_dma();
    auto world = vmpl1::build();
    KCHECK(world.ok());
    if (!world) return;
    world->data->target = 0;
    // Once outside the marks: the first 4 KiB PVALIDATE or RMPADJUST inside a
    // 2 MiB RMP entry costs the host a PSMASH and a retry (docs/snp-host.md).
    for (const Operation& op : kOperations) {
        if (op.run != fw_cfg_dma || bench.dma) op.run();
    }
    for (unsigned round = 1; round <= kRounds; ++round) {
        for (const Operation& op : kOperations) {
            if (op.run == fw_cfg_dma && !bench.dma) continue;
            mark(op.name, round, true);
            for (unsigned i = 0; i < kReps; ++i) op.run();
            mark(op.name, round, false);
        }
    }
    log::raw("snp-bench: done reps={} rounds={} dma={} ok={}", kReps, kRounds, bench.dma ? 1 : 0, bench.ok ? 1 : 0);
    KCHECK(bench.ok);
    KCHECK(bench.dma);
}
