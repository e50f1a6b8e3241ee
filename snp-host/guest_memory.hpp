// Guest RAM as the host holds it: one contiguous carve-out of host RAM, GPA
// g at HPA hpa_base + g for g < size. The C-bit is not an address bit
// (private and shared aliases reach the same page): callers strip it.
// The guest's flash (a firmware packed with ./warden igvm --firmware) is a
// second carve-out, ending at GPA 4 GiB; only the launch writes it.
#pragma once

#include <cstdint>
#include <span>

namespace snp_host {

struct GuestMemory {
    uint64_t hpa_base = 0;
    uint64_t size = 0;

    bool contains(uint64_t gpa, uint64_t len) const { return gpa < size && len <= size - gpa; }
    // The host's view of [gpa, gpa + len); empty when any byte is outside.
    std::span<uint8_t> bytes(uint64_t gpa, uint64_t len) const {
        if (!contains(gpa, len)) return {};
        return {reinterpret_cast<uint8_t*>(hpa_base + gpa), static_cast<size_t>(len)};
    }

    // GPA [4 GiB - flash_size, 4 GiB) at HPA flash_hpa. Not guest RAM: the RMP
    // model and the nested views cover RAM only, so no VMPL reaches the flash
    // yet (docs/snp-host.md, "Boot and launch").
    uint64_t flash_hpa = 0;
    uint64_t flash_size = 0;
    static constexpr uint64_t kFlashEnd = uint64_t{1} << 32;
    std::span<uint8_t> flash_bytes(uint64_t gpa, uint64_t len) const {
        if (gpa < kFlashEnd - flash_size || gpa >= kFlashEnd || len > kFlashEnd - gpa) return {};
        return {reinterpret_cast<uint8_t*>(flash_hpa + gpa - (kFlashEnd - flash_size)), static_cast<size_t>(len)};
    }
};

}  // namespace snp_host
