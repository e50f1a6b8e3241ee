// Guest RAM as the host holds it: one contiguous carve-out of host RAM, GPA
// g at HPA hpa_base + g for g < size. The C-bit is not an address bit
// (private and shared aliases reach the same page): callers strip it.
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
};

}  // namespace snp_host
