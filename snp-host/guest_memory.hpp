// Guest memory as the host holds it: RAM, one contiguous carve-out of host
// RAM (GPA g at HPA hpa_base + g for g < size), the guest's flash right
// after it in host RAM, ending at GPA 4 GiB, and the IGVM file's memory
// above 4 GiB after that. The C-bit is not an address bit (private and
// shared aliases reach the same page): callers strip it.
//
// The flash holds the firmware packed with ./warden igvm --firmware. The
// host keeps flash_capacity bytes for it (the packer's largest firmware);
// the launch places the image in the top flash_size of them, private and
// validated as KVM launches a guest_memfd-backed BIOS region with
// SNP_LAUNCH_UPDATE. Only those pages are guest memory: the rest of the
// capacity is address space with nothing behind it (MMIO), as QEMU's BIOS
// region is only as large as the file.
//
// The IGVM memory is what the file's pages and required memory use above
// 4 GiB (Warden's SVSM memory, at 512 GiB by default): QEMU 10.1 backs a
// directive's range that no RAM region covers with a memory region of its
// own (backends/igvm.c, qigvm_prepare_memory), ordinary guest memory
// (private at start, convertible) that no memory map lists, neither fw_cfg
// etc/e820 nor the IGVM memory-map parameter. The host keeps it in one
// 1 GiB-aligned GiB (one page directory in the nested views).
#pragma once

#include <cstdint>
#include <span>

namespace snp_host {

struct GuestMemory {
    uint64_t hpa_base = 0;
    uint64_t size = 0;  // of RAM, from GPA 0
    uint64_t flash_capacity = 0;
    uint64_t flash_size = 0;                // placed by the launch (0 until then)
    uint64_t igvm_base = 0, igvm_size = 0;  // the IGVM memory above 4 GiB (size 0: none)
    static constexpr uint64_t kFlashEnd = uint64_t{1} << 32;

    uint64_t flash_base() const { return kFlashEnd - flash_size; }
    bool in_ram(uint64_t gpa, uint64_t len) const { return gpa < size && len <= size - gpa; }
    bool in_flash(uint64_t gpa, uint64_t len) const {
        return flash_size != 0 && gpa >= flash_base() && gpa < kFlashEnd && len <= kFlashEnd - gpa;
    }
    bool in_igvm(uint64_t gpa, uint64_t len) const {
        return gpa >= igvm_base && gpa - igvm_base < igvm_size && len <= igvm_size - (gpa - igvm_base);
    }
    // Ordinary guest memory, which the guest converts and the host shares
    // buffers in: RAM or the IGVM memory (not adjacent: a range is in one).
    bool in_memory(uint64_t gpa, uint64_t len) const { return in_ram(gpa, len) || in_igvm(gpa, len); }
    // Guest memory: RAM, the placed flash or the IGVM memory.
    bool contains(uint64_t gpa, uint64_t len) const { return in_memory(gpa, len) || in_flash(gpa, len); }

    // Where the host keeps a page of RAM, of the flash's capacity or of the
    // IGVM memory, or 0 (host memory no guest page is at) for any other GPA.
    // The three are one run of host pages, so the RMP covers them at once.
    uint64_t hpa(uint64_t gpa) const {
        if (gpa < size) return hpa_base + gpa;
        if (gpa >= kFlashEnd - flash_capacity && gpa < kFlashEnd)
            return hpa_base + size + flash_capacity - (kFlashEnd - gpa);
        if (in_igvm(gpa, 1)) return hpa_base + size + flash_capacity + (gpa - igvm_base);
        return 0;
    }
    // The run of host pages: RAM, the flash's capacity, the IGVM memory.
    uint64_t host_pages() const { return (size + flash_capacity + igvm_size) / 4096; }

    // The host's view of [gpa, gpa + len) of guest memory; empty when any byte is outside.
    std::span<uint8_t> bytes(uint64_t gpa, uint64_t len) const {
        if (!contains(gpa, len)) return {};
        return {reinterpret_cast<uint8_t*>(hpa(gpa)), static_cast<size_t>(len)};
    }
    // A page of the flash's capacity, for the launch to place the firmware in.
    std::span<uint8_t> flash_page(uint64_t gpa) const {
        if ((gpa & 4095) || gpa < kFlashEnd - flash_capacity || gpa >= kFlashEnd) return {};
        return {reinterpret_cast<uint8_t*>(hpa(gpa)), 4096};
    }
};

}  // namespace snp_host
