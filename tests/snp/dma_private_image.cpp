// A negative image for the emulated SNP host (docs/snp-host.md): Warden
// hands fw_cfg a DMA transfer whose descriptor lies in a page it made
// shared, as the protocol requires, but whose buffer is one of its own
// private, validated frames. The device would write the guest's private
// memory: on SNP hardware that DMA write is blocked by the RMP (APM vol. 2
// 15.36.10, Table 15-39 host row; the IOMMU applies it to DMA), so the
// host must refuse the transfer with a report line and never perform it.
#include "arch/x86_64/cpu.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "platform/platform.hpp"
#include "test/ktest.hpp"
#include "warden/fw_cfg.hpp"

namespace fc = warden::fw_cfg;

KTEST("snp negative: an fw_cfg DMA transfer into a private page") {
    auto descriptor_frame = warden::mm::alloc_frames(0);
    auto buffer_frame = warden::mm::alloc_frames(0);  // private and validated: never shared
    KCHECK(descriptor_frame.ok() && buffer_frame.ok());
    if (!descriptor_frame.ok() || !buffer_frame.ok()) return;
    KCHECK(warden::platform::current().make_shared(*descriptor_frame, 1).ok());
    auto* d = warden::mm::phys_to_virt<volatile fc::DmaAccess>(*descriptor_frame);
    const warden::VirtAddr va(reinterpret_cast<uint64_t>(d));
    KCHECK(warden::mm::kernel_mapper()
               .protect(va, warden::kPageSize, warden::mm::MapFlags{.writable = true, .encrypted = false})
               .ok());
    const fc::DmaAccess read = fc::make_dma_read(fc::kSignature, 4, buffer_frame->raw());
    d->control_be = read.control_be;
    d->length_be = read.length_be;
    d->address_be = read.address_be;
    const uint64_t at = descriptor_frame->raw();
    warden::arch::outl(fc::kDmaPortHigh, fc::be32(static_cast<uint32_t>(at >> 32)));
    warden::arch::outl(fc::kDmaPortLow, fc::be32(static_cast<uint32_t>(at)));  // refused: the run ends here
    KCHECK(false);
}
