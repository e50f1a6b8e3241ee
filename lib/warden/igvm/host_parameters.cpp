// Parameter areas filled by the host (host_parameters.hpp).
#include "warden/igvm/host_parameters.hpp"

#include "warden/bytes.hpp"
#include "warden/igvm/memory_map.hpp"

namespace warden::igvm {
namespace {

struct Area {
    uint64_t bytes = 0;
    bool declared = false, memory_map = false, vp_count = false;
    uint32_t mm_offset = 0, vp_offset = 0;
};

void put_le(std::span<uint8_t> b, size_t at, uint64_t v, size_t width) {
    for (size_t i = 0; i < width; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

bool fits(uint64_t area, uint32_t offset, uint64_t len) { return offset <= area && area - offset >= len; }

}  // namespace

Result<size_t> place_host_parameters(const File& file, const HostParameters& p, GuestWindow& guest) {
    Area areas[kMaxHostParameterAreas]{};
    size_t inserts = 0;
    for (size_t i = 0; i < file.count; ++i) {
        const Header& h = file.headers[i];
        const auto b = h.body;
        switch (h.type) {
        case HeaderType::kParameterArea: {
            if (b.size() < 16) return Fail(Error::kInvalidArgument);
            const uint32_t idx = load_le<uint32_t>(b, 8);
            if (idx >= kMaxHostParameterAreas) return Fail(Error::kOutOfRange);
            areas[idx].bytes = load_le<uint64_t>(b, 0);
            areas[idx].declared = true;
            break;
        }
        case HeaderType::kMemoryMap:
        case HeaderType::kVpCount: {
            if (b.size() < 8) return Fail(Error::kInvalidArgument);
            const uint32_t idx = load_le<uint32_t>(b, 0), off = load_le<uint32_t>(b, 4);
            if (idx >= kMaxHostParameterAreas) return Fail(Error::kOutOfRange);
            if (h.type == HeaderType::kMemoryMap) {
                areas[idx].memory_map = true, areas[idx].mm_offset = off;
            } else {
                areas[idx].vp_count = true, areas[idx].vp_offset = off;
            }
            break;
        }
        case HeaderType::kParameterInsert: {
            if (b.size() < 16) return Fail(Error::kInvalidArgument);
            const uint64_t gpa = load_le<uint64_t>(b, 0);
            const uint32_t idx = load_le<uint32_t>(b, 12);
            if (idx >= kMaxHostParameterAreas) return Fail(Error::kOutOfRange);
            const Area& a = areas[idx];
            if (!a.declared) return Fail(Error::kNotFound);
            if (a.memory_map && !fits(a.bytes, a.mm_offset, 2 * kMemoryMapEntrySize)) return Fail(Error::kOutOfRange);
            if (a.vp_count && !fits(a.bytes, a.vp_offset, 4)) return Fail(Error::kOutOfRange);
            auto dst = guest.bytes(gpa, a.bytes);
            if (dst.size() != a.bytes || a.bytes == 0) return Fail(Error::kOutOfRange);
            if (a.memory_map) {
                // igvm_defs IGVM_VHS_MEMORY_MAP_ENTRY: first page, page count, type 0 (normal), flags 0.
                put_le(dst, a.mm_offset, 0, 8);
                put_le(dst, a.mm_offset + 8, p.ram_bytes / 4096, 8);
                put_le(dst, a.mm_offset + 16, kMemoryNormal, 2);
            }
            if (a.vp_count) put_le(dst, a.vp_offset, p.vcpus, 4);
            ++inserts;
            break;
        }
        default: break;
        }
    }
    return inserts;
}

}  // namespace warden::igvm
