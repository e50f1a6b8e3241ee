#include "warden/svm/apic_ids.hpp"

#include <cstring>

namespace warden::svm {

ApicIdAnswer answer_apic_ids(uint64_t pages, uint64_t gpa, size_t count) {
    const uint64_t needed = apic_id_list_pages(count);
    if (pages < needed) return {.kind = ApicIdAnswer::Kind::kSize, .rax = needed};
    if (gpa & 0xfff) return {.kind = ApicIdAnswer::Kind::kMisaligned, .rax = pages};
    return {.kind = ApicIdAnswer::Kind::kFill, .rax = pages, .bytes = 4 + 4 * uint64_t{count}};
}

bool write_apic_id_list(std::span<const uint32_t> ids, std::span<uint8_t> out) {
    if (out.size() < 4 + 4 * ids.size()) return false;
    const auto n = static_cast<uint32_t>(ids.size());
    std::memcpy(out.data(), &n, 4);
    if (!ids.empty()) std::memcpy(out.data() + 4, ids.data(), 4 * ids.size());
    return true;
}

}  // namespace warden::svm
