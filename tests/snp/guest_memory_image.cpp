// The guest's memory on the emulated SNP host (issue 17): a 2 MiB page of
// guest RAM validated through kernel/svsm is zeroed and given to the
// guest's VMPL, which then writes and reads it (a VMPL2 context, run by
// RUN_VMPL); rescinded, the SVSM refuses to touch it. Marks around the
// validation and the rescind make the host print its counters there, so the
// cost of each in PVALIDATEs and RMPADJUSTs is in the log
// (docs/snp-host.md, "Guest memory").
#include <string_view>

#include "console/early_console.hpp"
#include "svsm/guest.hpp"
#include "test/ktest.hpp"
#include "vmpl1_guest.hpp"

namespace {

using namespace warden;

constexpr uint64_t kRflagsIf = 1u << 9;  // AMD APM vol. 2 3.1.6
constexpr size_t kMarkWire = 48;         // as bench_image.cpp: a multiple of the UART FIFO

// Straight to the UART, with interrupts off around the operation: nothing
// else runs between the two marks.
void mark(std::string_view name) {
    fmt::FixedString<kMarkWire> text;
    fmt::format(text, "snp-bench: mark {}", name);
    while (text.view().size() < kMarkWire - 2) fmt::format(text, " ");
    fmt::format(text, "\n");
    console::sink().write(text.view());
}

// guest::pvalidate of `pages` pages of that size from `page` between two
// marks; the first answer that is not kChanged, else kChanged.
Result<svsm::PvalidateOutcome> bracketed(std::string_view name, PhysAddr page, bool huge, unsigned pages,
                                         bool validate) {
    const bool interrupts = arch::read_rflags() & kRflagsIf;
    arch::cli();
    fmt::FixedString<kMarkWire> begin, end;
    fmt::format(begin, "{} begin", name);
    fmt::format(end, "{} end", name);
    mark(begin.view());
    Result<svsm::PvalidateOutcome> r = svsm::PvalidateOutcome::kChanged;
    for (unsigned i = 0; i < pages && r && *r == svsm::PvalidateOutcome::kChanged; ++i)
        r = guest::pvalidate(page + i * (huge ? kLargePageSize : kPageSize), huge, validate);
    mark(end.view());
    if (interrupts) arch::sti();
    return r;
}

}  // namespace

KTEST("snp guest memory: a 2 MiB page validated through kernel/svsm is the guest VMPL's, rescinded it is no one's") {
    task::log_ring::flush(2'000'000);
    console::sink().write("\n");  // the console task may have stopped inside a line: marks start one
    // 8..10 MiB: guest RAM below the SVSM's memory that nothing in this image uses.
    const PhysAddr page = guest::memory().base + (uint64_t{8} << 20);
    if (!KCHECK(guest::memory().contains(PhysRange{page, kLargePageSize}))) return;
    auto v = bracketed("guest-validate-2m", page, true, 1, true);
    if (!KCHECK(v && *v == svsm::PvalidateOutcome::kChanged)) return;

    auto world = vmpl1::build(guest::vmpl());
    if (!KCHECK(world.ok())) return;
    const PhysAddr cell = page + 0x1000;
    world->data->write_to = cell.raw();
    world->data->read_from = cell.raw();
    task::log_ring::flush(2'000'000);
    KCHECK(platform::current().run_vmpl(guest::vmpl()).ok());
    KCHECK(world->data->runs == 1);
    uint64_t value = 0;
    KCHECK(guest::read(cell, &value, sizeof value).ok());
    KCHECK(value == 1);
    log::raw("snp-guest: VMPL{} wrote and read a page validated for it through kernel/svsm: {}", guest::vmpl(), value);

    // The SVSM's own 4 KiB accesses (the zeroing) made this host PSMASH the
    // 2 MiB RMP entry, as KVM does for a 4 KiB nested mapping: a 2 MiB
    // rescind is then a size mismatch, nothing changed, and the guest
    // rescinds it as 4 KiB pages (as Linux does on FAIL_SIZEMISMATCH).
    auto huge = bracketed("guest-rescind-2m", page, true, 1, false);
    KCHECK(huge && *huge == svsm::PvalidateOutcome::kSizeMismatch);
    KCHECK(guest::is_validated(cell));
    log::raw("snp-guest: a 2 MiB rescind over 4 KiB RMP entries answers size mismatch: {}",
             huge && *huge == svsm::PvalidateOutcome::kSizeMismatch);
    auto r = bracketed("guest-rescind-4k", page, false, kLargePageSize / kPageSize, false);
    KCHECK(r && *r == svsm::PvalidateOutcome::kChanged);
    KCHECK(!guest::is_validated(cell));
    const auto refused = guest::read(cell, &value, sizeof value);
    KCHECK(refused.error() == Error::kDenied);
    log::raw("snp-guest: rescinded, the SVSM refuses to touch it: {}", refused.error());
    task::log_ring::flush(2'000'000);
}
