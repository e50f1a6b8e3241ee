// The guest's port IO, done by the host on its behalf (the guest reaches
// ports only through the GHCB). Devices Warden uses are passed through to
// QEMU's: COM1, COM2 (the tpm2-tools relay's, docs/vtpm.md), the PIT and port 0x61 (TSC calibration), CMOS, the PICs
// (VMPL0's only: VMPL 1-3 reach the VM's own, legacy_irq.hpp), fw_cfg's selector and data ports, the debug console and
// isa-debug-exit. fw_cfg DMA takes guest-physical addresses: the host copies the guest's descriptor, checks its buffer
// lies in guest memory, and runs the transfer with host-physical addresses. The PCI configuration ports and the PIIX4
// PM block are the host's own chipset model (chipset.hpp), never L1's.
// Everything else reads as all ones. COM1's lines are watched: Warden's
// ready line and the bench image's marks.
#include <cstring>

#include "console.hpp"
#include "cpu.hpp"
#include "fw_cfg_dma.hpp"
#include "host_access.hpp"
#include "npt.hpp"
#include "paging.hpp"
#include "vcpu.hpp"
#include "warden/fw_cfg.hpp"
#include "warden/svm/fw_cfg_overlay.hpp"

namespace snp_host {
namespace {

namespace wf = warden::fw_cfg;

constexpr uint16_t kCom2 = 0x2f8;

bool passed_through(uint16_t port) {
    return (port >= kCom1 && port <= kCom1 + 7) || (port >= kCom2 && port <= kCom2 + 7) ||
           (port >= 0x40 && port <= 0x43) || port == 0x61 || port == 0x70 || port == 0x71 || port == 0x20 ||
           port == 0x21 || port == 0xa0 || port == 0xa1 || port == wf::kSelectorPort || port == wf::kDataPort ||
           port == 0xe9;
}

// Each context's COM1 output goes out a line at a time. The host, Warden,
// its guest's VMPLs and the other vCPUs share one UART, and byte-by-byte
// their lines interleave, unreadable and cut where tests match them. The
// guest sees the UART as ever (a THR write is taken at once; LSR, the other
// registers and reads pass through): only when the bytes reach L1's serial
// port changes. A line goes out whole at its newline, when it fills, when
// it has waited kLineAge at the context's next exit (a prompt without a
// newline), and when the run stops.
constexpr size_t kLineBytes = 160;
constexpr uint64_t kLineAge = 200'000'000;  // TSC cycles: ~70 ms at 3 GHz
struct PendingLine {
    uint8_t bytes[kLineBytes];
    size_t len = 0;
    uint64_t since = 0;      // TSC of its first byte
    bool continues = false;  // its line's first part went out already (filled, or aged)
};
PendingLine pending_lines[kMaxCpus][kVmpls];

// A measurement hook, not a device: a COM1 line that starts with kMarkPrefix
// makes the host print every vCPU's counters tagged "at mark <rest of the
// line>", once the line's newline has gone out. The guest sees nothing but
// its line written; no Warden line starts so, the bench image's marks do
// (tests/snp/bench_image.cpp, docs/snp-host.md "Measurements").
constexpr std::string_view kMarkPrefix = "snp-bench: mark ";
constexpr std::string_view kMarkTag = "at mark ";
char mark_tag[kMarkTag.size() + kLineBytes];
size_t mark_tag_len = 0;  // nonzero: a mark line ended, its report is due

void note_mark(std::string_view text) {
    if (text.substr(0, kMarkPrefix.size()) != kMarkPrefix) return;
    std::string_view name = text.substr(kMarkPrefix.size());
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);  // marks are padded to one length
    std::memcpy(mark_tag, kMarkTag.data(), kMarkTag.size());
    std::memcpy(mark_tag + kMarkTag.size(), name.data(), name.size());
    mark_tag_len = kMarkTag.size() + name.size();
}

// A whole line a context wrote (its text without the line end): the host
// watches for Warden's ready line and for marks.
void watch_console(Machine& m, std::string_view text) {
    constexpr std::string_view kReady = "warden: ready";
    if (text.substr(0, kReady.size()) == kReady && !m.ready_seen.load()) {
        m.ready_seen.store(true);
        m.ready_pending_report.store(true);  // printed by the vCPU after this OUT, outside the line
    }
    note_mark(text);
}

// Out to L1's COM1, under the console lock (the caller's).
void flush_line(Machine& m, PendingLine& p) {
    if (p.len == 0) return;
    if (!p.continues) console_new_line();  // a line of its own, after another context's unfinished one
    for (size_t i = 0; i < p.len; ++i) console_put(p.bytes[i]);
    std::string_view text(reinterpret_cast<const char*>(p.bytes), p.len);
    const bool whole = text.back() == '\n';
    p.len = 0;
    p.continues = !whole;
    if (!whole) return;
    text.remove_suffix(1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    watch_console(m, text);
    if (mark_tag_len != 0) {  // after the newline, still under the console lock: no line in between
        report_counters(m, std::string_view(mark_tag, mark_tag_len));
        mark_tag_len = 0;
    }
}

void com1_write(Vcpu& v, uint8_t c) {
    PendingLine& p = pending_lines[v.index][v.vmpl & 3];
    ConsoleGuard whole_lines;
    if (p.len == 0) p.since = cpu::rdtsc();
    p.bytes[p.len++] = c;
    if (c == '\n' || p.len == kLineBytes) flush_line(*v.machine, p);
}

// The VM's own fw_cfg items over L1's device (svm/fw_cfg_overlay.hpp): the
// selection and offset of the one device, under the console lock as its
// transfers are.
warden::svm::FwCfgOverlay guest_fw_cfg;

uint32_t dma_high_be[kMaxCpus];               // per vCPU: the high half written first
bool com1_dlab = false;                       // LCR bit 7, as the guest last wrote it (under the console lock)
alignas(16) volatile wf::DmaAccess host_dma;  // one device: transfers under the console lock

// What the device does to the buffer (QEMU docs/specs/fw_cfg.rst): a read
// of the item writes guest memory, a write to the item reads it. Both bits
// set: both asked.
HostUse dma_buffer_use(uint32_t control) {
    const bool fills = control & wf::kDmaRead, sends = control & wf::kDmaWrite;
    return fills && sends ? HostUse::kReadWrite : fills ? HostUse::kWrite : HostUse::kRead;
}

// The guest wrote the low half of its descriptor's GPA: the transfer starts.
// The descriptor and the buffer are the guest's shared memory: the RMP must
// give them to the hypervisor (host_access.hpp), the device's transfer
// included: with SNP the IOMMU applies the RMP to DMA writes (AMD's SEV-SNP
// white paper; not read in the APM here), and a DMA read of a private page
// gets ciphertext.
bool guest_dma(Vcpu& v, uint32_t low_be) {
    const uint64_t gpa = (uint64_t{wf::be32(dma_high_be[v.index])} << 32) | wf::be32(low_be);
    auto desc = shared_guest_bytes(v, gpa, sizeof(wf::DmaAccess), HostUse::kRead, "fw_cfg DMA descriptor");
    if (desc.empty()) return false;
    wf::DmaAccess d;
    std::memcpy(&d, desc.data(), sizeof d);
    const uint32_t control = wf::be32(d.control_be), length = wf::be32(d.length_be);
    const uint64_t buf = wf::be64(d.address_be);
    if ((control & (wf::kDmaRead | wf::kDmaWrite)) && length &&
        !host_may_access(v, buf, length, dma_buffer_use(control), "fw_cfg DMA buffer"))
        return false;
    ConsoleGuard one_transfer_at_a_time;
    // Select, skip and read as the device would (fw_cfg.rst "DMA"), the
    // host's own items answered here, L1's by the device (and the directory
    // patched to say the host's sizes).
    if (control & wf::kDmaSelect) guest_fw_cfg.select(static_cast<uint16_t>(control >> 16));
    auto guest_buf = v.machine->guest.bytes(buf, length);
    if (guest_fw_cfg.serves_selected()) {
        uint32_t status = 0;
        if (control & wf::kDmaWrite)
            status = wf::be32(wf::kDmaError);  // the VM's memory map is read-only, as QEMU's items are
        else if (control & wf::kDmaRead)
            guest_fw_cfg.read(guest_buf);
        else if (control & wf::kDmaSkip)
            guest_fw_cfg.skip(length);
        if (!host_may_access(v, gpa, 4, HostUse::kWrite, "fw_cfg DMA descriptor write-back")) return false;
        std::memcpy(desc.data(), &status, 4);
        return true;
    }
    host_dma.control_be = d.control_be;
    host_dma.length_be = d.length_be;
    host_dma.address_be = wf::be64(v.machine->guest.hpa(buf));  // one region: contiguous in host memory
    const uint64_t pa = reinterpret_cast<uint64_t>(&host_dma);
    cpu::outl(wf::kDmaPortHigh, wf::be32(static_cast<uint32_t>(pa >> 32)));
    cpu::outl(wf::kDmaPortLow, wf::be32(static_cast<uint32_t>(pa)));
    while (wf::dma_state(host_dma.control_be) == wf::DmaState::kBusy) {
    }
    const uint32_t done = host_dma.control_be;
    if (control & wf::kDmaRead)
        guest_fw_cfg.device_read(guest_buf);
    else if (control & wf::kDmaSkip)
        guest_fw_cfg.skip(length);
    if (!host_may_access(v, gpa, 4, HostUse::kWrite, "fw_cfg DMA descriptor write-back")) return false;
    std::memcpy(desc.data(), &done, 4);  // control: 0, or the error bit
    return true;
}

uint16_t last_unknown = 0;

}  // namespace

void flush_old_console_line(Vcpu& v) {
    PendingLine& p = pending_lines[v.index][v.vmpl & 3];
    if (p.len == 0 || cpu::rdtsc() - p.since < kLineAge) return;
    ConsoleGuard whole_lines;
    flush_line(*v.machine, p);
}

void flush_console_lines(Machine& m) {
    ConsoleGuard whole_lines;
    for (auto& per_vcpu : pending_lines) {
        for (PendingLine& p : per_vcpu) flush_line(m, p);
    }
}

warden::Result<void> fw_cfg_guest_init(const GuestMemory& guest) {
    uint8_t e820[20];
    const size_t n = warden::svm::make_e820_ram(guest.size, std::span<uint8_t, 20>(e820));
    return guest_fw_cfg.replace(fw_cfg::l1_directory(), "etc/e820", std::span<const uint8_t>(e820, n));
}

bool port_io(Vcpu& v, uint16_t port, unsigned size, bool in, uint32_t& value) {
    if (port == kDebugExitPort && !in) {
        log("vCPU {}: the guest ends the VM through isa-debug-exit with code {:#x}", v.index, value);
        stop_machine(v, value == kExitPass);
    }
    if (port == wf::kDmaPortHigh && !in && size == 4) {
        dma_high_be[v.index] = value;
        return true;
    }
    if (port == wf::kDmaPortLow && !in && size == 4) return guest_dma(v, value);
    if (port == wf::kSelectorPort && !in && size == 2) {
        ConsoleGuard one_device;
        guest_fw_cfg.select(static_cast<uint16_t>(value));
        cpu::outw(port, static_cast<uint16_t>(value));
        return true;
    }
    if (port == wf::kDataPort && in && size == 1) {
        ConsoleGuard one_device;
        uint8_t b = 0;
        if (guest_fw_cfg.serves_selected()) {
            guest_fw_cfg.read(std::span<uint8_t>(&b, 1));
        } else {
            b = cpu::inb(port);
            guest_fw_cfg.device_read(std::span<uint8_t>(&b, 1));
        }
        value = b;
        return true;
    }
    if (chipset_io(v, port, size, in, value)) return true;
    if (legacy_irq_io(v, port, size, in, value)) return true;  // VMPL 1-3's PIT and PICs: never L1's
    if (passed_through(port)) {
        if (in) {
            value = size == 1 ? cpu::inb(port) : size == 2 ? cpu::inw(port) : cpu::inl(port);
        } else if (port == kCom1 && size == 1 && !com1_dlab) {
            com1_write(v, static_cast<uint8_t>(value));
        } else {
            ConsoleGuard whole_lines;
            if (port == kCom1 + 3) com1_dlab = value & 0x80;  // LCR.DLAB: port 0 is the divisor latch then
            if (size == 1)
                cpu::outb(port, static_cast<uint8_t>(value));
            else if (size == 2)
                cpu::outw(port, static_cast<uint16_t>(value));
            else
                cpu::outl(port, value);
        }
        return true;
    }
    if (port != last_unknown)
        log("vCPU {}: port {:#x} ({} {}) has no device here: reads all ones", v.index, port, in ? "in" : "out", size);
    last_unknown = port;
    if (in) value = size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffff;
    return true;
}

}  // namespace snp_host
