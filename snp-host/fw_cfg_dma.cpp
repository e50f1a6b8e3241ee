// fw_cfg through DMA: the descriptor and buffers are host memory, identity
// mapped, so their physical address is their address.
#include "fw_cfg_dma.hpp"

#include "cpu.hpp"
#include "warden/fw_cfg.hpp"

namespace snp_host::fw_cfg {
namespace {

namespace wf = warden::fw_cfg;
using warden::Error;
using warden::Fail;

alignas(16) volatile wf::DmaAccess dma;
alignas(8) uint8_t directory_bytes[4 + wf::kMaxFiles * wf::kFileEntrySize];
wf::Directory directory;

warden::Result<void> run(const wf::DmaAccess& d) {
    dma.control_be = d.control_be;
    dma.length_be = d.length_be;
    dma.address_be = d.address_be;
    const uint64_t pa = reinterpret_cast<uint64_t>(&dma);
    asm volatile("" ::: "memory");
    cpu::outl(wf::kDmaPortHigh, wf::be32(static_cast<uint32_t>(pa >> 32)));
    cpu::outl(wf::kDmaPortLow, wf::be32(static_cast<uint32_t>(pa)));
    for (;;) {
        switch (wf::dma_state(dma.control_be)) {
        case wf::DmaState::kBusy: continue;
        case wf::DmaState::kDone: return {};
        case wf::DmaState::kError: return Fail(Error::kInvalidArgument);
        }
    }
}

warden::Result<void> read(uint16_t selector, std::span<uint8_t> out) {
    return run(wf::make_dma_read(selector, static_cast<uint32_t>(out.size()), reinterpret_cast<uint64_t>(out.data())));
}

}  // namespace

uint64_t read_small(uint16_t selector, unsigned bytes) {
    cpu::outw(wf::kSelectorPort, selector);
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && i < 8; ++i) v |= uint64_t{cpu::inb(wf::kDataPort)} << (8 * i);
    return v;
}

warden::Result<size_t> read_file(std::string_view name, std::span<uint8_t> out) {
    if (!(read_small(wf::kId, 4) & wf::kIdDma)) return Fail(Error::kUnsupported);
    WARDEN_TRY_VOID(read(wf::kFileDir, std::span<uint8_t>(directory_bytes, 4)));
    auto count = wf::parse_count(directory_bytes);
    if (!count) return Fail(count.error());
    if (*count > wf::kMaxFiles) return Fail(Error::kOutOfRange);
    // Copied whole, then parsed: the directory is host input.
    WARDEN_TRY_VOID(read(wf::kFileDir, std::span<uint8_t>(directory_bytes, 4 + *count * wf::kFileEntrySize)));
    WARDEN_TRY_VOID(
        wf::parse_directory(std::span<const uint8_t>(directory_bytes, 4 + *count * wf::kFileEntrySize), directory));
    const wf::File* f = directory.find(name);
    if (!f) return Fail(Error::kNotFound);
    if (f->size > out.size()) return Fail(Error::kOutOfRange);
    WARDEN_TRY_VOID(read(f->selector, out.first(f->size)));
    return size_t{f->size};
}

const wf::Directory& l1_directory() { return directory; }

}  // namespace snp_host::fw_cfg
