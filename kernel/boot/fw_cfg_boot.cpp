// Boot-time fw_cfg reads (see fw_cfg_boot.hpp).
#include "boot/fw_cfg_boot.hpp"

#include <cstring>

#include "arch/x86_64/cpu.hpp"
#include "mm/layout.hpp"

namespace warden::boot::fw_cfg_boot {
namespace {

fw_cfg::Directory directory;  // ~17 KiB: in .bss, off the boot stack
alignas(16) uint8_t raw_directory[4 + fw_cfg::kMaxFiles * fw_cfg::kFileEntrySize];
alignas(16) volatile fw_cfg::DmaAccess descriptor;
bool dma = false;
bool ready = false;

void read_ports(uint16_t selector, uint8_t* out, size_t n) {
    arch::outw(fw_cfg::kSelectorPort, selector);
    for (size_t i = 0; i < n; ++i) out[i] = arch::inb(fw_cfg::kDataPort);
}

// QEMU completes a transfer before the port write returns; the bound only
// guards against a device that never clears the control word.
Result<void> run_dma(const fw_cfg::DmaAccess& a) {
    descriptor.control_be = a.control_be;
    descriptor.length_be = a.length_be;
    descriptor.address_be = a.address_be;
    const uint64_t at = mm::image_phys(&descriptor).raw();
    arch::outl(fw_cfg::kDmaPortHigh, fw_cfg::be32(static_cast<uint32_t>(at >> 32)));
    arch::outl(fw_cfg::kDmaPortLow, fw_cfg::be32(static_cast<uint32_t>(at)));
    for (unsigned spins = 0; spins < 10'000'000; ++spins) {
        switch (fw_cfg::dma_state(descriptor.control_be)) {
        case fw_cfg::DmaState::kDone: return {};
        case fw_cfg::DmaState::kError: return Fail(Error::kInvalidArgument);
        case fw_cfg::DmaState::kBusy: arch::pause(); break;
        }
    }
    return Fail(Error::kTimedOut);
}

Result<void> read_selector(uint16_t selector, void* dst_va, PhysAddr dst_pa, size_t len) {
    if (len == 0) return {};
    if (dma) return run_dma(fw_cfg::make_dma_read(selector, static_cast<uint32_t>(len), dst_pa.raw()));
    read_ports(selector, static_cast<uint8_t*>(dst_va), len);
    return {};
}

}  // namespace

Result<void> init() {
    uint8_t sig[4], id[4], count[4];
    read_ports(fw_cfg::kSignature, sig, sizeof sig);
    if (std::memcmp(sig, "QEMU", 4) != 0) return Fail(Error::kBadMagic);
    read_ports(fw_cfg::kId, id, sizeof id);
    dma = (id[0] & fw_cfg::kIdDma) != 0;
    read_ports(fw_cfg::kFileDir, count, sizeof count);
    WARDEN_TRY(n, fw_cfg::parse_count(count));
    if (n > fw_cfg::kMaxFiles) return Fail(Error::kOutOfRange);
    const size_t bytes = 4 + size_t{n} * fw_cfg::kFileEntrySize;
    WARDEN_TRY_VOID(read_selector(fw_cfg::kFileDir, raw_directory, mm::image_phys(raw_directory), bytes));
    WARDEN_TRY_VOID(fw_cfg::parse_directory(std::span<const uint8_t>(raw_directory, bytes), directory));
    ready = true;
    return {};
}

bool has_dma() { return dma; }

const fw_cfg::File* find(std::string_view name) { return ready ? directory.find(name) : nullptr; }

Result<void> read(const fw_cfg::File& f, void* dst_va, PhysAddr dst_pa, size_t len) {
    if (len > f.size) return Fail(Error::kOutOfRange);
    return read_selector(f.selector, dst_va, dst_pa, len);
}

}  // namespace warden::boot::fw_cfg_boot
