// `dump`: one line per IGVM header, with the fields that place it.
#include <cstdio>
#include <memory>

#include "tool.hpp"
#include "warden/bytes.hpp"

namespace warden::tool {
namespace {

const char* type_name(igvm::HeaderType t) {
    switch (t) {
    case igvm::HeaderType::kSupportedPlatform: return "SUPPORTED_PLATFORM";
    case igvm::HeaderType::kGuestPolicy: return "GUEST_POLICY";
    case igvm::HeaderType::kParameterArea: return "PARAMETER_AREA";
    case igvm::HeaderType::kPageData: return "PAGE_DATA";
    case igvm::HeaderType::kParameterInsert: return "PARAMETER_INSERT";
    case igvm::HeaderType::kVpContext: return "VP_CONTEXT";
    case igvm::HeaderType::kRequiredMemory: return "REQUIRED_MEMORY";
    case igvm::HeaderType::kVpCount: return "VP_COUNT";
    case igvm::HeaderType::kMemoryMap: return "MEMORY_MAP";
    case igvm::HeaderType::kCommandLine: return "COMMAND_LINE";
    }
    return "unknown";
}

}  // namespace

int dump(const std::string& path) {
    const Bytes f = read_file(path);
    auto file = std::make_unique<igvm::File>();
    if (auto r = igvm::parse(f, *file); !r) die("not a valid IGVM file: " + std::string(error_name(r.error())));
    std::printf("IGVM file %s: %u bytes, %zu headers\n", path.c_str(), file->total_size, file->count);
    for (size_t i = 0; i < file->count; ++i) {
        const auto& h = file->headers[i];
        std::printf("%4zu %-18s (0x%03x) %3zu bytes", i, type_name(h.type), static_cast<unsigned>(h.type),
                    h.body.size());
        if ((h.type == igvm::HeaderType::kPageData || h.type == igvm::HeaderType::kVpContext ||
             h.type == igvm::HeaderType::kParameterInsert || h.type == igvm::HeaderType::kRequiredMemory) &&
            h.body.size() >= 16) {
            std::printf("  gpa %#llx offset/area %#x", static_cast<unsigned long long>(load_le<uint64_t>(h.body, 0)),
                        load_le<uint32_t>(h.body, 12));
        }
        if (h.type == igvm::HeaderType::kSupportedPlatform && h.body.size() >= 8) {
            std::printf("  platform %u version %u", h.body[5], load_le<uint16_t>(h.body, 6));
        }
        if (h.type == igvm::HeaderType::kGuestPolicy && h.body.size() >= 8) {
            std::printf("  policy %#llx", static_cast<unsigned long long>(load_le<uint64_t>(h.body, 0)));
        }
        std::printf("\n");
    }
    return 0;
}

}  // namespace warden::tool
