// libFuzzer target: the guest image's entry contract, both sides of it --
// the image header the loader parses and the boot page the image reads.
// Whatever parses must stay inside the limits the contract promises, and
// write back to the same bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "warden/svsm/guest_entry.hpp"

using namespace warden;
using namespace warden::svsm::entry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const uint8_t> file(data, size);
    if (auto h = parse_image_header(file)) {
        if (h->file_size > size || h->file_size > h->memory_size || h->memory_size > kMaxImageMemory) __builtin_trap();
        if (h->end() > kMaxImageEnd || h->entry < h->load_gpa + kImageHeaderSize) __builtin_trap();
        if (h->entry >= h->load_gpa + h->file_size || h->max_vcpus == 0 || h->max_vcpus > kMaxVcpus) __builtin_trap();
        std::array<uint8_t, kImageHeaderSize> again{};
        write_image_header(*h, again);
        if (std::memcmp(again.data(), data, kImageHeaderSize) != 0) __builtin_trap();
    }
    std::array<uint8_t, kPage> page{};
    std::memcpy(page.data(), data, size < kPage ? size : kPage);
    if (auto b = read_boot_page(page)) {
        if (b->vcpu_index >= b->vcpu_count || b->caa_gpa >= b->ram_end || b->scratch_gpa % kLargePage != 0)
            __builtin_trap();
        if (b->scratch_size > b->ram_end - b->scratch_gpa) __builtin_trap();
        std::array<uint8_t, kPage> again{};
        write_boot_page(*b, again);
        if (again != page) __builtin_trap();
    }
    return 0;
}
