// libFuzzer target: the guest image's entry contract, both sides of it --
// the image header the loader parses and the boot page the image reads --
// and the loader's placement of a parsed header (guest_layout.hpp).
// Whatever parses must stay inside the limits the contract promises, and
// write back to the same bytes; a placement must lie where it was allowed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "warden/svsm/guest_entry.hpp"
#include "warden/svsm/guest_layout.hpp"

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
        // Guest RAM and a range to avoid from the bytes after the header.
        uint64_t words[4] = {};
        std::memcpy(words, data + kImageHeaderSize,
                    size - kImageHeaderSize < sizeof words ? size - kImageHeaderSize : sizeof words);
        const PhysRange ram{PhysAddr(words[0] & 0xffffffff000), words[1] & 0xffffffff000};
        const PhysRange avoid[] = {PhysRange{PhysAddr(words[2] & 0xffffffff000), words[3] & 0xfffffff}};
        if (ram.base + ram.size >= ram.base) {
            if (auto l = plan_layout(*h, 1 + static_cast<uint32_t>(words[3] >> 60), ram, avoid)) {
                if (!ram.contains(l->validated) || !ram.contains(l->scratch)) __builtin_trap();
                if (l->validated.overlaps(avoid[0]) || l->scratch.overlaps(avoid[0])) __builtin_trap();
                if (l->validated.overlaps(l->scratch) || l->validated.base.raw() % kLargePage != 0) __builtin_trap();
                if (l->tables < h->end() || l->caa(l->vcpus - 1) + kPage > l->validated.end().raw()) __builtin_trap();
            }
        }
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
